"""Where the payments room keeps each payment's state: KV, ids and amounts only.

Keys: `<org>.<payment_id>` for the payment, so one org's listing reads that org's keys only;
`open.<org>.<payment_id>` while the payment may still change on the agent's side (requested
or failed), so reconciliation reads the open payments only. The open mark is written before
the payment and removed after it, so an open payment never lacks its mark (a stale mark is
harmless: reconciliation drops it).
"""

from __future__ import annotations

import contextlib

from nats.js import JetStreamContext
from nats.js.errors import APIError, KeyNotFoundError, NotFoundError
from nats.js.kv import KeyValue

from events.catalog import PAYMENT_INDEX
from infra.kv import (
    RecordChanged,
    find_key,
    get_record,
    keys_matching,
    list_records,
    open_kv,
    put_record,
)
from schemas.applications import PaymentState

OPEN_STATUSES = frozenset({"requested", "failed"})
# A removed open mark leaves a purge marker; it expires after this long, so the open
# listing stays as short as the number of open payments.
MARK_GONE_AFTER = 60.0


def _key(org: str, payment_id: str) -> str:
    return f"{org}.{payment_id}"


def _open_key(org: str, payment_id: str) -> str:
    return f"open.{org}.{payment_id}"


async def load_payment(js: JetStreamContext, payment_id: str) -> tuple[PaymentState, int] | None:
    kv = await open_kv(js, PAYMENT_INDEX.name)
    key = await find_key(kv, f"*.{payment_id}")
    return None if key is None else await get_record(kv, key, PaymentState)


async def save_payment(js: JetStreamContext, payment: PaymentState, revision: int | None) -> int:
    kv = await open_kv(js, PAYMENT_INDEX.name)
    if payment.status in OPEN_STATUSES:
        await kv.put(_open_key(payment.org, payment.payment_id), b"open")
    written = await put_record(kv, _key(payment.org, payment.payment_id), payment, revision)
    if payment.status not in OPEN_STATUSES:
        await forget_open(kv, payment)
    return written


async def forget_open(kv: KeyValue, payment: PaymentState) -> None:
    try:
        await kv.purge(_open_key(payment.org, payment.payment_id), msg_ttl=MARK_GONE_AFTER)
    except APIError:  # a bucket kept forever has no per-message expiry: a lasting marker
        await kv.purge(_open_key(payment.org, payment.payment_id))


async def move_legacy_keys(js: JetStreamContext) -> int:
    """Before 0.6 a payment was keyed by its id alone: key each under its org (with its open
    mark when open), then drop the old key. Idempotent, safe in several processes at once."""
    kv = await open_kv(js, PAYMENT_INDEX.name)
    moved = 0
    for key, payment, _ in await list_records(kv, "*", PaymentState):
        with contextlib.suppress(RecordChanged):  # another process moved it first
            await save_payment(js, payment, 0)
        await kv.purge(key)
        moved += 1
    return moved


async def list_payments(js: JetStreamContext, org: str) -> list[PaymentState]:
    kv = await open_kv(js, PAYMENT_INDEX.name)
    listed = [payment for _, payment, _ in await list_records(kv, f"{org}.*", PaymentState)]
    return sorted(listed, key=lambda p: p.requested_at)


async def list_open_payments(js: JetStreamContext) -> list[PaymentState]:
    """Payments marked open (requested or failed), oldest first; marks found stale (the
    payment is final) are removed."""
    kv = await open_kv(js, PAYMENT_INDEX.name)
    listed = []
    for mark in await keys_matching(kv, "open.*.*"):
        try:
            await kv.get(mark)
        except (KeyNotFoundError, NotFoundError):
            continue  # a removed mark whose marker has not expired yet
        _, org, payment_id = mark.split(".")
        found = await get_record(kv, _key(org, payment_id), PaymentState)
        if found is not None and found[0].status in OPEN_STATUSES:
            listed.append(found[0])
        elif found is not None:
            await forget_open(kv, found[0])
    return sorted(listed, key=lambda p: p.requested_at)


async def close_open_mark(js: JetStreamContext, payment: PaymentState) -> None:
    """Stop reconciling a payment (it is past the reconciliation window)."""
    await forget_open(await open_kv(js, PAYMENT_INDEX.name), payment)
