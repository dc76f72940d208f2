"""Payments: starting one at the agent, learning what became of it, refunding, canceling.

Every path that hears about a payment (the agent's signed notice, the resident's return from
the agent's page, the reconciliation loop) goes through `learn`, which applies the pure
lifecycle and publishes the event before saving: a crash in between publishes the same
event id again next time (dropped as a duplicate), so nothing is lost or doubled.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from faststream.nats import NatsBroker
from nats.js import JetStreamContext

from events.envelope import Publisher, caused_id
from handlers.payments import records
from handlers.payments.lifecycle import Change, PaymentRefused, apply
from infra.kv import retry_on_change
from infra.payment_agent import AgentPayment, PaymentAgent
from schemas.applications import ApplicationState, PaymentState
from schemas.events import (
    Event,
    PaymentCanceled,
    PaymentFailed,
    PaymentMethod,
    PaymentRefunded,
    PaymentRequested,
    PaymentSettled,
    utc_now,
)

REQUESTED = Publisher("payments", "service:start_payment", PaymentRequested)
AGENT_NEWS_PUBLISHED = Publisher(
    "payments", "service:learn", PaymentSettled, PaymentFailed, PaymentCanceled
)
REFUNDED = Publisher("payments", "service:refund", PaymentRefunded)

log = logging.getLogger("madoguchi.payments")
AGENT_NEWS: dict[str, Change | None] = {
    "pending": None,
    "succeeded": "settled",
    "failed": "failed",
    "canceled": "canceled",
}


@dataclass(frozen=True)
class PaymentDesk:
    """What a payment is worked with: its records, the bus it is announced on, the agent."""

    js: JetStreamContext
    broker: NatsBroker
    agent: PaymentAgent


def new_payment_id() -> str:
    return "pay_" + secrets.token_hex(12)


async def start_payment(
    desk: PaymentDesk, application: ApplicationState, method: PaymentMethod, return_url: str
) -> PaymentState:
    """A new payment of the application's fee at the agent, with its hosted page's URL."""
    assert application.fee
    payment = PaymentState(
        payment_id=new_payment_id(),
        org=application.org,
        application_id=application.application_id,
        amount=application.fee,
        method=method,
    )
    revision = await records.save_payment(desk.js, payment, 0)
    created = await desk.agent.create_payment(
        reference=payment.payment_id,
        amount=payment.amount,
        method=method,
        return_url=return_url.replace("{payment_id}", payment.payment_id),
        idempotency_key=payment.payment_id,  # a retry of this payment is the same payment
    )
    payment = payment.model_copy(
        update={"agent_payment_id": created.id, "redirect_url": created.redirect_url}
    )
    await REQUESTED(
        desk.broker,
        PaymentRequested(
            event_id=caused_id(payment.payment_id, "payment.requested"),
            org=payment.org,
            payment_id=payment.payment_id,
            application_id=payment.application_id,
            amount=payment.amount,
            method=method,
        ),
    )
    await records.save_payment(desk.js, payment, revision)
    return payment


def _event_for(payment: PaymentState, change: Change, actor: str | None) -> Event:
    common = {
        "event_id": caused_id(payment.payment_id, f"payment.{change}"),
        "org": payment.org,
        "payment_id": payment.payment_id,
        "application_id": payment.application_id,
    }
    if change == "settled":
        return PaymentSettled(amount=payment.amount, **common)
    if change == "failed":
        return PaymentFailed(reason_code=payment.failure_code or "failed", **common)
    return PaymentCanceled(actor_id=actor or "payment_agent", **common)


async def learn(
    desk: PaymentDesk, payment_id: str, news: AgentPayment, actor: str | None = None
) -> PaymentState | None:
    """Apply what the agent says about a payment; None when we have no such payment."""
    change = AGENT_NEWS[news.status]

    async def apply_news() -> PaymentState | None:
        found = await records.load_payment(desk.js, payment_id)
        if found is None:
            return None
        payment, revision = found
        if change is None:
            return payment
        if news.amount != payment.amount:
            log.warning("agent reports another amount for a payment; not applied")
            return payment
        try:
            outcome = apply(payment.status, payment.amount, payment.refunded, change)
        except PaymentRefused as refused:
            # e.g. the agent settling a payment we canceled: money to look into by hand.
            log.warning("payment news refused by the lifecycle: %s", refused.code)
            return payment
        if not outcome.changed:
            return payment
        updated = payment.model_copy(
            update={
                "status": outcome.status,
                "failure_code": news.failure_code if change == "failed" else None,
                "updated_at": utc_now(),
            }
        )
        await AGENT_NEWS_PUBLISHED(desk.broker, _event_for(updated, change, actor))
        await records.save_payment(desk.js, updated, revision)
        return updated

    return await retry_on_change(payment_id, apply_news)


async def refresh(desk: PaymentDesk, payment: PaymentState) -> PaymentState:
    """Ask the agent (never trust a browser's redirect alone) and apply its answer."""
    if payment.agent_payment_id is None:
        return payment
    news = await desk.agent.get_payment(payment.agent_payment_id)
    return await learn(desk, payment.payment_id, news) or payment


async def refund(
    desk: PaymentDesk, payment_id: str, amount: int, key: str | None, actor: str
) -> PaymentState:
    """Refund `amount` yen; the same key twice refunds once. Raises PaymentRefused."""

    async def refund_once() -> PaymentState:
        found = await records.load_payment(desk.js, payment_id)
        if found is None:
            raise LookupError(payment_id)
        payment, revision = found
        # Without a key, the same request on an unchanged payment is the same refund.
        refund_key = key or f"auto-{payment.refunded}-{amount}"
        if refund_key in payment.refund_keys:
            return payment
        outcome = apply(payment.status, payment.amount, payment.refunded, "refund", amount)
        assert payment.agent_payment_id is not None  # only a settled payment gets here
        await desk.agent.refund(
            payment.agent_payment_id,
            amount=amount,
            idempotency_key=f"{payment_id}-{refund_key}",
        )
        await REFUNDED(
            desk.broker,
            PaymentRefunded(
                event_id=caused_id(payment_id, f"payment.refunded/{refund_key}"),
                org=payment.org,
                payment_id=payment_id,
                application_id=payment.application_id,
                amount=amount,
                actor_id=actor,
            ),
        )
        updated = payment.model_copy(
            update={
                "status": outcome.status,
                "refunded": outcome.refunded,
                "refund_keys": (*payment.refund_keys, refund_key),
                "updated_at": utc_now(),
            }
        )
        await records.save_payment(desk.js, updated, revision)
        return updated

    return await retry_on_change(payment_id, refund_once)


async def cancel(desk: PaymentDesk, payment_id: str, actor: str) -> PaymentState:
    """Cancel before settlement; canceling a canceled payment changes nothing."""
    found = await records.load_payment(desk.js, payment_id)
    if found is None:
        raise LookupError(payment_id)
    payment, _ = found
    if payment.status == "canceled":
        return payment
    apply(payment.status, payment.amount, payment.refunded, "canceled")  # raises when too late
    if payment.agent_payment_id is None:
        news = AgentPayment("", payment_id, "canceled", payment.amount, 0, payment.method, None)
    else:
        news = await desk.agent.cancel(
            payment.agent_payment_id, idempotency_key=f"{payment_id}-cancel"
        )
    updated = await learn(desk, payment_id, news, actor)
    assert updated is not None
    if updated.status != "canceled":  # the agent had settled it meanwhile
        raise PaymentRefused("not_cancelable")
    return updated
