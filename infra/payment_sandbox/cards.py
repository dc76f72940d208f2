"""What the sandbox's card page accepts, and what each test card does.

Pure functions over the typed strings. Nothing here keeps them, logs them or raises with them:
callers get back an outcome or Japanese messages that never quote the input.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Outcome = Literal["succeed", "decline", "no_answer", "late_success"]

# Like real sandboxes, fixed numbers choose the result; any other valid number succeeds.
TEST_CARDS: Mapping[str, Outcome] = {
    "4242424242424242": "succeed",
    "4000000000000002": "decline",
    "4000000000000119": "no_answer",
    "4000000000000259": "late_success",
}

# Separators residents type between digit groups; NFKC already folds full-width forms.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\u30fc]")
_NUMBER = re.compile(r"[0-9]{12,19}")
_EXPIRY = re.compile(r"(0[1-9]|1[0-2])/([0-9]{2})")
_CVC = re.compile(r"[0-9]{3,4}")

NUMBER_FORMAT = "カード番号は12〜19桁の数字で入力してください。"
NUMBER_INVALID = "カード番号に誤りがあります。もう一度ご確認ください。"
EXPIRY_FORMAT = "有効期限は「月/年」の形式（例: 04/28）で入力してください。"
EXPIRY_PAST = "有効期限が切れています。"
CVC_FORMAT = "セキュリティコードは3〜4桁の数字で入力してください。"


@dataclass(frozen=True)
class CardCheck:
    outcome: Outcome | None  # None when there are errors
    errors: tuple[str, ...] = ()


def _clean(text: str) -> str:
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))


def card_digits(text: str) -> str | None:
    """The digits of a typed card number, or None when it is not 12–19 digits."""
    digits = _clean(text)
    return digits if _NUMBER.fullmatch(digits) else None


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check every card number carries in its last digit."""
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def expiry_error(text: str, today: dt.date) -> str | None:
    """None when MM/YY is this month or later (cards are valid through their last month)."""
    match = _EXPIRY.fullmatch(_clean(text))
    if match is None:
        return EXPIRY_FORMAT
    month, year = int(match.group(1)), 2000 + int(match.group(2))
    if (year, month) < (today.year, today.month):
        return EXPIRY_PAST
    return None


def check_card(number: str, expiry: str, cvc: str, today: dt.date) -> CardCheck:
    errors: list[str] = []
    digits = card_digits(number)
    if digits is None:
        errors.append(NUMBER_FORMAT)
    elif not luhn_valid(digits):
        errors.append(NUMBER_INVALID)
    expiry_problem = expiry_error(expiry, today)
    if expiry_problem is not None:
        errors.append(expiry_problem)
    if not _CVC.fullmatch(_clean(cvc)):
        errors.append(CVC_FORMAT)
    if errors or digits is None:
        return CardCheck(None, tuple(errors))
    return CardCheck(TEST_CARDS.get(digits, "succeed"))
