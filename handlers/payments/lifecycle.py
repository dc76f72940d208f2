"""A payment's life, as one pure function: (state, what happened) -> outcome.

    requested --settled--> settled --refund--> partially_refunded --refund--> refunded
    requested --failed---> failed --settled--> settled   (a late success after a failure notice)
    requested --canceled-> canceled

News of a state the payment is already in (a repeated webhook, a second status query) is
`unchanged`, so every path that learns about a payment can apply it without care. What cannot
happen is refused with a code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from schemas.applications import PaymentStatusName

Change = Literal["settled", "failed", "canceled", "refund"]
REFUNDABLE: frozenset[PaymentStatusName] = frozenset({"settled", "partially_refunded"})


@dataclass(frozen=True)
class Outcome:
    status: PaymentStatusName
    refunded: int
    changed: bool


@dataclass(frozen=True)
class PaymentRefused(Exception):
    code: str  # "not_refundable", "amount_exceeds_remaining", "invalid_amount", "not_cancelable",
    #            "already_final"


# Each state as residents and staff read it.
PAYMENT_LABELS: dict[PaymentStatusName, str] = {
    "requested": "お支払い手続中",
    "settled": "お支払い済み",
    "failed": "お支払いできませんでした",
    "canceled": "取り消されました",
    "partially_refunded": "一部返金済み",
    "refunded": "返金済み",
}

MESSAGES = {
    "not_refundable": "支払いが完了していないため返金できません。",
    "amount_exceeds_remaining": "返金額が返金可能な残額を超えています。",
    "invalid_amount": "返金額は1円以上の整数で指定してください。",
    "not_cancelable": "支払いが完了した後は取り消せません。返金を行ってください。",
    "already_final": "この支払いはすでに確定しています。",
}


def apply(
    status: PaymentStatusName, amount: int, refunded: int, change: Change, refund: int = 0
) -> Outcome:
    if change == "refund":
        if status not in REFUNDABLE:
            raise PaymentRefused("not_refundable")
        if refund <= 0:
            raise PaymentRefused("invalid_amount")
        if refund > amount - refunded:
            raise PaymentRefused("amount_exceeds_remaining")
        total = refunded + refund
        return Outcome("refunded" if total == amount else "partially_refunded", total, True)
    if change == status or (change == "settled" and status in REFUNDABLE | {"refunded"}):
        return Outcome(status, refunded, False)
    if change == "settled" and status in ("requested", "failed"):
        return Outcome("settled", refunded, True)
    if change == "failed" and status == "requested":
        return Outcome("failed", refunded, True)
    if change == "failed" and status in REFUNDABLE | {"refunded", "canceled"}:
        return Outcome(status, refunded, False)  # an old failure notice after the fact
    if change == "canceled":
        if status == "requested":
            return Outcome("canceled", refunded, True)
        raise PaymentRefused("not_cancelable" if status in REFUNDABLE else "already_final")
    raise PaymentRefused("already_final")
