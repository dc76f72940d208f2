"""The sandbox agent's rules for payments, refunds and cancellations, over its saved state.

Every change is saved before it is answered, and queues its webhook in the same write, so a
crash can lose neither. Idempotency keys remember a hash of the request they first came with:
the same request again gets the same object, a different one is a conflict.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from infra.payment_sandbox import state
from infra.payment_sandbox.cards import Outcome
from infra.payment_sandbox.state import EventType, IdempotencyRecord, Method, Outgoing, Payment

log = logging.getLogger("madoguchi.payment_sandbox")


class Refusal(Exception):
    """A request the agent declines: an HTTP status and a short code, never request data."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def fingerprint(operation: str, target: str, body: dict[str, object]) -> str:
    canonical = json.dumps([operation, target, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class Books:
    def __init__(
        self,
        state_file: Path,
        public_url: str,
        late_success_after: float,
        on_queued: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._file = state_file
        self._public_url = public_url.rstrip("/")
        self._late_success_after = late_success_after
        self._on_queued = on_queued
        self._clock = clock
        self._state = state.load(state_file)

    def _save(self) -> None:
        state.save(self._state, self._file)

    def public(self, payment: Payment) -> dict[str, object]:
        return payment.public(self._public_url)

    def _emit(self, kind: EventType, payment: Payment) -> None:
        body = json.dumps({"type": kind, "data": self.public(payment)}, separators=(",", ":"))
        self._state.outbox.append(Outgoing(id=new_id("msg"), body=body, next_at=self._clock()))
        log.info("webhook queued", extra={"event_type": kind, "agent_payment_id": payment.id})

    def _commit(self, queued: bool = False) -> None:
        self._save()
        if queued:
            self._on_queued()

    def _settle_late_successes(self) -> None:
        """Payments reported failed whose charge went through after all: quietly succeeded,
        with no webhook, so only asking the agent (reconciliation) finds them."""
        now, changed = self._clock(), False
        for payment in self._state.payments.values():
            if payment.late_success_at is not None and payment.late_success_at <= now:
                payment.status, payment.failure_code = "succeeded", None
                payment.late_success_at = None
                changed = True
                log.info("late success", extra={"agent_payment_id": payment.id})
        if changed:
            self._commit()

    def payment(self, payment_id: str) -> Payment | None:
        self._settle_late_successes()
        return self._state.payments.get(payment_id)

    def _existing(self, payment_id: str) -> Payment:
        payment = self.payment(payment_id)
        if payment is None:
            raise Refusal(404, "not_found")
        return payment

    def _replay(self, key: str, print_: str) -> str | None:
        """The id a key already made for this same request; a conflict for another request."""
        record = self._state.idempotency.get(key)
        if record is None:
            return None
        if record.fingerprint != print_:
            raise Refusal(409, "conflict")
        return record.target

    def create(
        self, key: str, reference: str, amount: int, method: Method, return_url: str
    ) -> tuple[Payment, bool]:
        """The payment, and whether it was made now (False: the key's earlier one)."""
        body: dict[str, object] = {
            "reference": reference,
            "amount": amount,
            "method": method,
            "return_url": return_url,
        }
        print_ = fingerprint("create", "", body)
        earlier = self._replay(key, print_)
        if earlier is not None:
            return self._existing(earlier), False
        payment = Payment(
            id=new_id("pay"),
            reference=reference,
            status="pending",
            amount=amount,
            method=method,
            return_url=return_url,
        )
        self._state.payments[payment.id] = payment
        self._state.idempotency[key] = IdempotencyRecord(fingerprint=print_, target=payment.id)
        self._commit()
        log.info("payment created", extra={"agent_payment_id": payment.id})
        return payment, True

    def refund(self, key: str, payment_id: str, amount: int) -> tuple[state.Refund, bool]:
        print_ = fingerprint("refund", payment_id, {"amount": amount})
        earlier = self._replay(key, print_)
        if earlier is not None:
            return self._state.refunds[earlier], False
        payment = self._existing(payment_id)
        if payment.status != "succeeded":
            raise Refusal(409, "not_refundable")
        if amount > payment.amount - payment.refunded:
            raise Refusal(409, "amount_exceeds_remaining")
        refund = state.Refund(id=new_id("re"), payment_id=payment.id, amount=amount)
        payment.refunded += amount
        self._state.refunds[refund.id] = refund
        self._state.idempotency[key] = IdempotencyRecord(fingerprint=print_, target=refund.id)
        self._emit("refund.succeeded", payment)
        self._commit(queued=True)
        return refund, True

    def cancel(self, key: str, payment_id: str) -> Payment:
        print_ = fingerprint("cancel", payment_id, {})
        earlier = self._replay(key, print_)
        if earlier is not None:
            return self._existing(earlier)
        payment = self._existing(payment_id)
        if payment.status == "canceled":
            return payment
        if payment.status != "pending":
            raise Refusal(409, "not_cancelable")
        payment.status, payment.processing = "canceled", False
        self._state.idempotency[key] = IdempotencyRecord(fingerprint=print_, target=payment.id)
        self._emit("payment.canceled", payment)
        self._commit(queued=True)
        return payment

    def payable(self, payment: Payment) -> bool:
        return payment.status == "pending" and not payment.processing

    def settle(self, payment_id: str, outcome: Outcome) -> Payment:
        """The card network's (or the wallet's) answer to a submitted hosted page."""
        payment = self._existing(payment_id)
        if not self.payable(payment):
            raise Refusal(409, "not_payable")
        if outcome == "no_answer":
            payment.processing = True
            self._commit()
            return payment
        if outcome == "succeed":
            payment.status = "succeeded"
            self._emit("payment.succeeded", payment)
        else:
            payment.status = "failed"
            payment.failure_code = "card_declined" if outcome == "decline" else "processing_error"
            if outcome == "late_success":
                payment.late_success_at = self._clock() + self._late_success_after
            self._emit("payment.failed", payment)
        self._commit(queued=True)
        log.info("payment settled", extra={"agent_payment_id": payment.id, "outcome": outcome})
        return payment

    # The outbox, for the delivery loop.

    def due(self, now: float) -> list[Outgoing]:
        return [message for message in self._state.outbox if message.next_at <= now]

    def seconds_to_next(self, now: float) -> float | None:
        if not self._state.outbox:
            return None
        return max(0.0, min(message.next_at for message in self._state.outbox) - now)

    def delivered(self, message_id: str) -> None:
        self._state.outbox = [m for m in self._state.outbox if m.id != message_id]
        self._commit()

    def retry_later(self, message_id: str, delays: tuple[float, ...]) -> None:
        for message in self._state.outbox:
            if message.id == message_id:
                message.attempts += 1
                delay = delays[min(message.attempts, len(delays)) - 1] if delays else 60.0
                message.next_at = self._clock() + delay
        self._commit()
