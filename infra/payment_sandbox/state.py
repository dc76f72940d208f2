"""The sandbox agent's books: payments, refunds, idempotency keys and the webhook outbox.

Kept as one JSON file rewritten atomically after every change, so a restart loses nothing,
like a real agent. There is no card data to keep: the card page decides and forgets.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

Status = Literal["pending", "succeeded", "failed", "canceled"]
Method = Literal["card", "wallet"]
EventType = Literal["payment.succeeded", "payment.failed", "payment.canceled", "refund.succeeded"]


class Payment(BaseModel):
    id: str
    reference: str
    status: Status
    amount: int
    refunded: int = 0
    method: Method
    return_url: str
    failure_code: str | None = None
    # A card that never answers was submitted: the page refuses another try, as a real agent
    # still waiting on the card network would.
    processing: bool = False
    # Unix time at which a "failed" payment turns out to have succeeded (reconciliation test).
    late_success_at: float | None = None

    def public(self, public_url: str) -> dict[str, object]:
        """The payment as the API and the webhooks show it."""
        redirect = f"{public_url}/pay/{self.id}" if self.status == "pending" else None
        return {
            "id": self.id,
            "reference": self.reference,
            "status": self.status,
            "amount": self.amount,
            "refunded": self.refunded,
            "method": self.method,
            "redirect_url": redirect,
            "failure_code": self.failure_code,
        }


class Refund(BaseModel):
    id: str
    payment_id: str
    amount: int

    def public(self) -> dict[str, object]:
        return {"id": self.id, "payment_id": self.payment_id, "amount": self.amount}


class IdempotencyRecord(BaseModel):
    """What a key was first used for: a hash of the request, and the object it made."""

    fingerprint: str
    target: str  # the payment or refund id


class Outgoing(BaseModel):
    """A webhook still to deliver. The body is kept as sent, so every retry signs the same."""

    id: str
    body: str
    attempts: int = 0
    next_at: float = 0.0


class State(BaseModel):
    version: Literal[1] = 1
    payments: dict[str, Payment] = Field(default_factory=dict)
    refunds: dict[str, Refund] = Field(default_factory=dict)
    idempotency: dict[str, IdempotencyRecord] = Field(default_factory=dict)
    outbox: list[Outgoing] = Field(default_factory=list)


def load(path: Path) -> State:
    if not path.exists():
        return State()
    return State.model_validate_json(path.read_bytes())


def save(state: State, path: Path) -> None:
    """Write to a temporary file beside it (mode 0600), flush to disk, then rename over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(state.model_dump_json().encode())
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
