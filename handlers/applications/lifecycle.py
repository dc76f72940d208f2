"""The application's life, as one pure function: (status, step) -> next status, or refused.

    submitted --accept (no fee)--> accepted
    submitted --accept (fee)-----> awaiting_payment --paid--> paid
    submitted --return--> returned --resubmit--> submitted
    submitted --reject--> rejected

A step the table does not allow is refused with a code (and the clerk's message), never
silently ignored; `pay` (a resident starting a payment) changes nothing but is only allowed
while the fee is due.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from schemas.applications import ApplicationStatusName

Step = Literal["accept", "return", "reject", "resubmit", "pay", "paid"]

STATUS_LABELS: dict[ApplicationStatusName, str] = {
    "submitted": "審査中",
    "returned": "補正依頼中",
    "rejected": "却下",
    "accepted": "受理",
    "awaiting_payment": "お支払い待ち",
    "paid": "お支払い済み",
}


@dataclass(frozen=True)
class TransitionRefused(Exception):
    status: ApplicationStatusName
    step: Step

    @property
    def code(self) -> str:
        return "not_allowed_now"

    @property
    def message(self) -> str:
        return f"この申請は「{STATUS_LABELS[self.status]}」のため、この操作はできません。"


def next_status(
    status: ApplicationStatusName, step: Step, fee: int | None = None
) -> ApplicationStatusName:
    if status == "submitted":
        if step == "accept":
            return "awaiting_payment" if fee else "accepted"
        if step == "return":
            return "returned"
        if step == "reject":
            return "rejected"
    elif status == "returned" and step == "resubmit":
        return "submitted"
    elif status == "awaiting_payment":
        if step == "pay":
            return status
        if step == "paid":
            return "paid"
    raise TransitionRefused(status, step)
