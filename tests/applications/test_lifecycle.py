"""The application and payment lifecycles, every (state, step) pair: allowed or refused."""

from __future__ import annotations

import itertools
from typing import get_args

import pytest

from handlers.applications.lifecycle import Step, TransitionRefused, next_status
from handlers.payments.lifecycle import Change, Outcome, PaymentRefused, apply
from schemas.applications import ApplicationStatusName, PaymentStatusName

APPLICATION_ALLOWED: dict[tuple[str, str, int | None], str] = {
    ("submitted", "accept", None): "accepted",
    ("submitted", "accept", 0): "accepted",
    ("submitted", "accept", 300): "awaiting_payment",
    ("submitted", "return", None): "returned",
    ("submitted", "reject", None): "rejected",
    ("returned", "resubmit", None): "submitted",
    ("awaiting_payment", "pay", None): "awaiting_payment",
    ("awaiting_payment", "paid", None): "paid",
}


@pytest.mark.parametrize(
    ("status", "step", "fee"),
    list(itertools.product(get_args(ApplicationStatusName), get_args(Step), (None, 0, 300))),
)
def test_every_application_transition(status: str, step: str, fee: int | None) -> None:
    expected = APPLICATION_ALLOWED.get((status, step, fee))
    if expected is None and step != "accept":
        expected = APPLICATION_ALLOWED.get((status, step, None))
    if expected is None:
        with pytest.raises(TransitionRefused) as refused:
            next_status(status, step, fee)  # type: ignore[arg-type]
        assert refused.value.code == "not_allowed_now"
        assert "この操作はできません" in refused.value.message
    else:
        assert next_status(status, step, fee) == expected  # type: ignore[arg-type]


AMOUNT = 1000
# (status, refunded so far, change, refund amount) -> outcome, or the refusal's code
PAYMENT_TABLE: list[tuple[str, int, str, int, Outcome | str]] = [
    ("requested", 0, "settled", 0, Outcome("settled", 0, True)),
    ("requested", 0, "failed", 0, Outcome("failed", 0, True)),
    ("requested", 0, "canceled", 0, Outcome("canceled", 0, True)),
    ("requested", 0, "refund", 100, "not_refundable"),
    ("failed", 0, "settled", 0, Outcome("settled", 0, True)),  # late success
    ("failed", 0, "failed", 0, Outcome("failed", 0, False)),
    ("failed", 0, "canceled", 0, "already_final"),
    ("failed", 0, "refund", 100, "not_refundable"),
    ("settled", 0, "settled", 0, Outcome("settled", 0, False)),
    ("settled", 0, "failed", 0, Outcome("settled", 0, False)),  # an old failure notice
    ("settled", 0, "canceled", 0, "not_cancelable"),
    ("settled", 0, "refund", 400, Outcome("partially_refunded", 400, True)),
    ("settled", 0, "refund", AMOUNT, Outcome("refunded", AMOUNT, True)),
    ("settled", 0, "refund", AMOUNT + 1, "amount_exceeds_remaining"),
    ("settled", 0, "refund", 0, "invalid_amount"),
    ("settled", 0, "refund", -5, "invalid_amount"),
    ("partially_refunded", 400, "refund", 600, Outcome("refunded", AMOUNT, True)),
    ("partially_refunded", 400, "refund", 601, "amount_exceeds_remaining"),
    ("partially_refunded", 400, "refund", 100, Outcome("partially_refunded", 500, True)),
    ("partially_refunded", 400, "settled", 0, Outcome("partially_refunded", 400, False)),
    ("partially_refunded", 400, "failed", 0, Outcome("partially_refunded", 400, False)),
    ("partially_refunded", 400, "canceled", 0, "not_cancelable"),
    ("refunded", AMOUNT, "refund", 1, "not_refundable"),
    ("refunded", AMOUNT, "settled", 0, Outcome("refunded", AMOUNT, False)),
    ("refunded", AMOUNT, "failed", 0, Outcome("refunded", AMOUNT, False)),
    ("refunded", AMOUNT, "canceled", 0, "already_final"),
    ("canceled", 0, "canceled", 0, Outcome("canceled", 0, False)),
    ("canceled", 0, "settled", 0, "already_final"),  # settled after we canceled: by hand
    ("canceled", 0, "failed", 0, Outcome("canceled", 0, False)),
    ("canceled", 0, "refund", 100, "not_refundable"),
]


def test_the_payment_table_covers_every_status_and_change() -> None:
    covered = {(status, change) for status, _, change, _, _ in PAYMENT_TABLE}
    every = set(itertools.product(get_args(PaymentStatusName), get_args(Change)))
    assert covered == every


@pytest.mark.parametrize(("status", "refunded", "change", "refund", "expected"), PAYMENT_TABLE)
def test_every_payment_transition(
    status: str, refunded: int, change: str, refund: int, expected: Outcome | str
) -> None:
    if isinstance(expected, str):
        with pytest.raises(PaymentRefused) as refused:
            apply(status, AMOUNT, refunded, change, refund)  # type: ignore[arg-type]
        assert refused.value.code == expected
    else:
        assert apply(status, AMOUNT, refunded, change, refund) == expected  # type: ignore[arg-type]
