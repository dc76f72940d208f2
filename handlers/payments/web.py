"""The payments room over HTTP: payment operators list, refund and cancel; the agent's
notifications arrive at `/api/payment-agent/webhook`. (A resident starts paying an
application in the applications room, which tells this room to start a payment.)"""

from __future__ import annotations

import logging
from functools import partial

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from handlers.identity.authz import Action, Resource
from handlers.identity.guard import Guard
from handlers.payments import records, service, webhook
from handlers.payments.answers import PAYMENT_GONE, refusals_answered
from handlers.payments.lifecycle import MESSAGES
from infra.http import WEBHOOK_CAP, read_bytes, read_object
from infra.web import ApiError
from schemas.accounts import Principal
from schemas.applications import PaymentState

log = logging.getLogger("madoguchi.payments")
NOT_FOUND = ApiError(404, "not_found", PAYMENT_GONE)


def _public(payment: PaymentState) -> dict[str, object]:
    return payment.model_dump(mode="json", exclude={"redirect_url", "refund_keys"})


async def _operated(
    request: Request, action: Action, desk: service.PaymentDesk, guard: Guard
) -> tuple[Principal, PaymentState]:
    found = await records.load_payment(desk.js, request.path_params["payment_id"])
    if found is None:
        await guard.authorize(request, action)
        raise NOT_FOUND
    payment = found[0]
    return await guard.authorize(request, action, Resource(org=payment.org)), payment


async def list_payments(request: Request, desk: service.PaymentDesk, guard: Guard) -> Response:
    who = await guard.authorize(request, "payment.read")
    payments = await records.list_payments(desk.js, who.org)
    return JSONResponse([_public(p) for p in payments])


async def get_payment(request: Request, desk: service.PaymentDesk, guard: Guard) -> Response:
    _, payment = await _operated(request, "payment.read", desk, guard)
    return JSONResponse(_public(payment))


async def refund(request: Request, desk: service.PaymentDesk, guard: Guard) -> Response:
    who, payment = await _operated(request, "payment.refund", desk, guard)
    amount = (await read_object(request)).get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise ApiError(400, "invalid_amount", MESSAGES["invalid_amount"])
    key = request.headers.get("Idempotency-Key")
    with refusals_answered():
        updated = await service.refund(desk, payment.payment_id, amount, key, who.login)
    return JSONResponse(_public(updated))


async def cancel(request: Request, desk: service.PaymentDesk, guard: Guard) -> Response:
    who, payment = await _operated(request, "payment.cancel", desk, guard)
    with refusals_answered():
        updated = await service.cancel(desk, payment.payment_id, who.login)
    return JSONResponse(_public(updated))


async def agent_webhook(request: Request, desk: service.PaymentDesk, secret: str) -> Response:
    """The agent's notices, checked against our webhook `secret`."""
    body = await read_bytes(request, WEBHOOK_CAP)
    try:
        outcome = await webhook.receive(desk, secret, body, dict(request.headers))
    except webhook.NoticeRefused as refused:
        if refused.reason == "busy":
            return JSONResponse({"error": "busy", "detail": None}, status_code=503)
        log.warning("payment agent notice refused: %s", refused.reason)
        return JSONResponse({"error": "invalid_notice", "detail": refused.reason}, status_code=400)
    return JSONResponse({"status": outcome})


def routes(desk: service.PaymentDesk, guard: Guard, webhook_secret: str) -> list[Route]:
    return [
        Route("/api/payments", partial(list_payments, desk=desk, guard=guard), methods=["GET"]),
        Route(
            "/api/payments/{payment_id}",
            partial(get_payment, desk=desk, guard=guard),
            methods=["GET"],
        ),
        Route(
            "/api/payments/{payment_id}/refund",
            partial(refund, desk=desk, guard=guard),
            methods=["POST"],
        ),
        Route(
            "/api/payments/{payment_id}/cancel",
            partial(cancel, desk=desk, guard=guard),
            methods=["POST"],
        ),
        Route(
            "/api/payment-agent/webhook",
            partial(agent_webhook, desk=desk, secret=webhook_secret),
            methods=["POST"],
        ),
    ]
