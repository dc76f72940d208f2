"""Where the payments room keeps each payment's state: KV, ids and amounts only."""

from __future__ import annotations

from nats.js import JetStreamContext

from events.catalog import PAYMENT_INDEX
from infra.kv import get_record, keys_matching, open_kv, put_record
from schemas.applications import PaymentState


async def load_payment(js: JetStreamContext, payment_id: str) -> tuple[PaymentState, int] | None:
    kv = await open_kv(js, PAYMENT_INDEX.name)
    return await get_record(kv, payment_id, PaymentState)


async def save_payment(js: JetStreamContext, payment: PaymentState, revision: int | None) -> int:
    kv = await open_kv(js, PAYMENT_INDEX.name)
    return await put_record(kv, payment.payment_id, payment, revision)


async def list_payments(js: JetStreamContext, org: str | None = None) -> list[PaymentState]:
    kv = await open_kv(js, PAYMENT_INDEX.name)
    found = [await get_record(kv, key, PaymentState) for key in await keys_matching(kv, ">")]
    listed = [payment for payment, _ in filter(None, found) if org is None or payment.org == org]
    return sorted(listed, key=lambda p: p.requested_at)
