"""The payments room over HTTP: payment operators list, refund and cancel; the agent's
notifications arrive at `/api/payment-agent/webhook`. (A resident starts paying an
application in the applications room, which tells this room to start a payment.)"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from handlers.identity.authz import Action, Resource
from handlers.identity.guard import authorize, runtime_of
from handlers.payments import records, service, webhook
from handlers.payments.answers import refusals_answered
from handlers.payments.lifecycle import MESSAGES
from infra.http import WEBHOOK_CAP, read_bytes, read_object
from infra.web import ApiError
from schemas.accounts import Principal
from schemas.applications import PaymentState

log = logging.getLogger("madoguchi.payments")
NOT_FOUND = ApiError(404, "not_found", "支払いが見つかりません。")


def _public(payment: PaymentState) -> dict[str, object]:
    return payment.model_dump(mode="json", exclude={"redirect_url", "refund_keys"})


async def _operated(request: Request, action: Action) -> tuple[Principal, PaymentState]:
    found = await records.load_payment(runtime_of(request).js, request.path_params["payment_id"])
    if found is None:
        await authorize(request, action)
        raise NOT_FOUND
    payment = found[0]
    return await authorize(request, action, Resource(org=payment.org)), payment


async def list_payments(request: Request) -> Response:
    who = await authorize(request, "payment.read")
    payments = await records.list_payments(runtime_of(request).js, who.org)
    return JSONResponse([_public(p) for p in payments])


async def get_payment(request: Request) -> Response:
    _, payment = await _operated(request, "payment.read")
    return JSONResponse(_public(payment))


async def refund(request: Request) -> Response:
    who, payment = await _operated(request, "payment.refund")
    amount = (await read_object(request)).get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise ApiError(400, "invalid_amount", MESSAGES["invalid_amount"])
    key = request.headers.get("Idempotency-Key")
    with refusals_answered():
        updated = await service.refund(
            runtime_of(request), payment.payment_id, amount, key, who.login
        )
    return JSONResponse(_public(updated))


async def cancel(request: Request) -> Response:
    who, payment = await _operated(request, "payment.cancel")
    with refusals_answered():
        updated = await service.cancel(runtime_of(request), payment.payment_id, who.login)
    return JSONResponse(_public(updated))


async def agent_webhook(request: Request) -> Response:
    body = await read_bytes(request, WEBHOOK_CAP)
    try:
        outcome = await webhook.receive(runtime_of(request), body, dict(request.headers))
    except webhook.NoticeRefused as refused:
        if refused.reason == "busy":
            return JSONResponse({"error": "busy", "detail": None}, status_code=503)
        log.warning("payment agent notice refused: %s", refused.reason)
        return JSONResponse({"error": "invalid_notice", "detail": refused.reason}, status_code=400)
    return JSONResponse({"status": outcome})


routes = [
    Route("/api/payments", list_payments, methods=["GET"]),
    Route("/api/payments/{payment_id}", get_payment, methods=["GET"]),
    Route("/api/payments/{payment_id}/refund", refund, methods=["POST"]),
    Route("/api/payments/{payment_id}/cancel", cancel, methods=["POST"]),
    Route("/api/payment-agent/webhook", agent_webhook, methods=["POST"]),
]
