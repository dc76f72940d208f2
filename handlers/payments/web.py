"""The payments room over HTTP: a resident starts paying; payment operators list, refund and
cancel; the agent's notifications arrive at `/api/payment-agent/webhook`."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from handlers.applications.access import resident_application
from handlers.applications.lifecycle import TransitionRefused
from handlers.identity.authz import Action, Resource
from handlers.identity.guard import authorize, runtime_of
from handlers.payments import records, service, webhook
from handlers.payments.checkout import begin_payment
from handlers.payments.lifecycle import MESSAGES, PaymentRefused
from infra.kv import RecordChanged
from infra.payment_agent import PaymentAgentError
from infra.web import ApiError
from schemas.accounts import Principal
from schemas.applications import PaymentState

log = logging.getLogger("madoguchi.payments")
NO_STORE = {"Cache-Control": "no-store"}
NOT_FOUND = ApiError(404, "not_found", "支払いが見つかりません。")
AGENT_DOWN = ApiError(
    502,
    "payment_agent_unavailable",
    "決済代行会社に接続できませんでした。時間をおいてお試しください。",
)
CONFLICT = ApiError(409, "conflict", "他の操作と重なりました。画面を読み込み直してください。")


def agent_trouble(exc: PaymentAgentError) -> ApiError:
    log.warning("payment agent call failed: %s", exc.code)
    return AGENT_DOWN


@contextlib.contextmanager
def refusals_answered() -> Iterator[None]:
    """What the lifecycles refuse, the agent fails at, or a concurrent write spoils, as the
    API's answers (409, 502), the same for every payment call."""
    try:
        yield
    except TransitionRefused as refused:
        raise ApiError(409, refused.code, refused.message) from None
    except PaymentRefused as refused:
        raise ApiError(409, refused.code, MESSAGES[refused.code]) from None
    except PaymentAgentError as exc:
        raise agent_trouble(exc) from None
    except RecordChanged:
        raise CONFLICT from None


async def _json(request: Request) -> dict[str, object]:
    try:
        body = await request.json()
    except ValueError:
        raise ApiError(400, "invalid_json", "JSON で送ってください。") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "JSON オブジェクトで送ってください。")
    return body


async def pay(request: Request) -> Response:
    body = await _json(request)
    method = body.get("method")
    if method not in ("card", "wallet"):
        raise ApiError(400, "invalid_method", "支払い方法は card か wallet です。")
    runtime = runtime_of(request)
    state, revision = await resident_application(
        runtime, request.path_params["application_id"], str(body.get("access_code") or "")
    )
    with refusals_answered():
        payment = await begin_payment(runtime, state, revision, method, str(request.base_url))
    return JSONResponse(
        {"payment_id": payment.payment_id, "redirect_url": payment.redirect_url}, headers=NO_STORE
    )


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
    return JSONResponse([_public(p) for p in payments], headers=NO_STORE)


async def get_payment(request: Request) -> Response:
    _, payment = await _operated(request, "payment.read")
    return JSONResponse(_public(payment), headers=NO_STORE)


async def refund(request: Request) -> Response:
    who, payment = await _operated(request, "payment.refund")
    amount = (await _json(request)).get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise ApiError(400, "invalid_amount", MESSAGES["invalid_amount"])
    key = request.headers.get("Idempotency-Key")
    with refusals_answered():
        updated = await service.refund(
            runtime_of(request), payment.payment_id, amount, key, who.login
        )
    return JSONResponse(_public(updated), headers=NO_STORE)


async def cancel(request: Request) -> Response:
    who, payment = await _operated(request, "payment.cancel")
    with refusals_answered():
        updated = await service.cancel(runtime_of(request), payment.payment_id, who.login)
    return JSONResponse(_public(updated), headers=NO_STORE)


async def agent_webhook(request: Request) -> Response:
    body = await request.body()
    try:
        outcome = await webhook.receive(runtime_of(request), body, dict(request.headers))
    except webhook.NoticeRefused as refused:
        if refused.reason == "busy":
            return JSONResponse({"error": "busy", "detail": None}, status_code=503)
        log.warning("payment agent notice refused: %s", refused.reason)
        return JSONResponse({"error": "invalid_notice", "detail": refused.reason}, status_code=400)
    return JSONResponse({"status": outcome})


routes = [
    Route("/api/applications/{application_id}/payment", pay, methods=["POST"]),
    Route("/api/payments", list_payments, methods=["GET"]),
    Route("/api/payments/{payment_id}", get_payment, methods=["GET"]),
    Route("/api/payments/{payment_id}/refund", refund, methods=["POST"]),
    Route("/api/payments/{payment_id}/cancel", cancel, methods=["POST"]),
    Route("/api/payment-agent/webhook", agent_webhook, methods=["POST"]),
]
