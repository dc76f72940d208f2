"""The payment agent's signed notifications (Standard Webhooks).

A notice counts only if its signature verifies with our secret, its timestamp is within
5 minutes, and its id has not been seen: a forged or replayed notice changes nothing. Ids are
remembered after the notice is applied (a failure in between lets the agent's retry through;
applying twice is harmless, every step being idempotent).
"""

from __future__ import annotations

import hashlib
import logging

from nats.js.errors import KeyNotFoundError, NotFoundError
from standardwebhooks import Webhook, WebhookVerificationError

from events.catalog import WEBHOOK_IDS
from handlers.payments import service
from infra.kv import RecordChanged, open_kv
from infra.metrics import WEBHOOK_REJECTIONS
from infra.payment_agent import AgentPayment, PaymentAgentError, parse_payment

log = logging.getLogger("madoguchi.payments")
PAYMENT_NEWS = frozenset({"payment.succeeded", "payment.failed", "payment.canceled"})


class NoticeRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def verified(secret: str, body: bytes, headers: dict[str, str]) -> dict[str, object]:
    """The notice's JSON if it is genuine and fresh; raises NoticeRefused(reason) otherwise."""
    try:
        payload = Webhook(secret).verify(body, headers)
    except WebhookVerificationError as exc:
        reason = "stale" if "timestamp" in str(exc).lower() else "signature"
        raise NoticeRefused(reason) from None
    except ValueError:  # a malformed signature header or body
        raise NoticeRefused("malformed") from None
    if not isinstance(payload, dict):
        raise NoticeRefused("malformed")
    return payload


def _id_key(message_id: str) -> str:
    return hashlib.sha256(message_id.encode()).hexdigest()  # any id, as a valid KV key


def agent_payment(data: object) -> AgentPayment:
    """The notice's payment, validated as the agent's API answers are (one parser)."""
    if not isinstance(data, dict):
        raise NoticeRefused("malformed")
    try:
        # A notice's redirect URL is never followed: only the API's answers hand one out.
        return parse_payment({"refunded": 0, **data, "redirect_url": None})
    except PaymentAgentError:
        raise NoticeRefused("malformed") from None


async def receive(
    desk: service.PaymentDesk, secret: str, body: bytes, headers: dict[str, str]
) -> str:
    """Apply one notice: "applied", "duplicate" or "ignored"; NoticeRefused when not genuine."""
    try:
        payload = verified(secret, body, headers)
        news = agent_payment(payload.get("data"))
    except NoticeRefused as refused:
        WEBHOOK_REJECTIONS.labels(refused.reason).inc()
        raise
    seen = await open_kv(desk.js, WEBHOOK_IDS.name)
    key = _id_key(headers["webhook-id"])
    try:
        await seen.get(key)
        return "duplicate"
    except (KeyNotFoundError, NotFoundError):
        pass
    outcome = "ignored"
    if payload.get("type") in PAYMENT_NEWS and news.status in service.AGENT_NEWS:
        try:
            learned = await service.learn(desk, news.reference, news)
        except RecordChanged:
            raise NoticeRefused("busy") from None  # the agent will try again
        outcome = "applied" if learned is not None else "ignored"
    await seen.put(key, b"1")
    return outcome
