"""Reconciliation: ask the agent again about payments that stayed open or failed.

A notice can be lost, and a payment can succeed after a failure notice; neither may leave
a resident who paid marked unpaid. Payments still open or failed `reconcile_after` their
start, and younger than `reconcile_within`, are re-queried on every round. Only payments
marked open are read (see `records`); older ones lose their mark.
"""

from __future__ import annotations

import asyncio
import logging

from handlers.payments import records, service
from infra.payment_agent import PaymentAgentError
from schemas.applications import PaymentState
from schemas.events import utc_now
from schemas.settings import PaymentAgentSettings

log = logging.getLogger("madoguchi.payments")
MAX_PAUSE = 30.0


def due(payment: PaymentState, after: float, within: float, now_ts: float) -> bool:
    age = now_ts - payment.requested_at.timestamp()
    return payment.status in ("requested", "failed") and after <= age <= within


async def reconcile_once(desk: service.PaymentDesk, settings: PaymentAgentSettings) -> int:
    """One round; the number of payments whose state changed."""
    now_ts = utc_now().timestamp()
    changed = 0
    for payment in await records.list_open_payments(desk.js):
        if now_ts - payment.requested_at.timestamp() > settings.reconcile_within:
            await records.close_open_mark(desk.js, payment)
            continue
        if not due(payment, settings.reconcile_after, settings.reconcile_within, now_ts):
            continue
        try:
            updated = await service.refresh(desk, payment)
        except PaymentAgentError as exc:
            log.warning("reconciliation: agent call failed: %s", exc.code)
            continue
        changed += updated.status != payment.status
    return changed


async def reconcile_forever(desk: service.PaymentDesk, settings: PaymentAgentSettings) -> None:
    pause = min(settings.reconcile_after / 2, MAX_PAUSE)
    if moved := await records.move_legacy_keys(desk.js):
        log.info("payments keyed by their org", extra={"payments": moved})
    while True:
        if await reconcile_once(desk, settings):
            log.info("reconciliation changed payments")
        await asyncio.sleep(pause)
