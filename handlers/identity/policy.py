"""Password and lockout policy as pure functions (the `[password]` settings)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta

from zxcvbn import zxcvbn

MAX_LENGTH = 256
MIN_SCORE = 3  # zxcvbn: 0 too guessable .. 4 very unguessable
LOCKOUT = timedelta(minutes=15)
CITY_WORDS = ("madoguchi", "madoguchi-city", "shiyakusho", "cityhall", "市役所", "窓口")

PROBLEM_MESSAGES = {
    "too_short": "パスワードが短すぎます（{min_length} 文字以上にしてください）。",
    "too_long": "パスワードが長すぎます。",
    "context_word": "ログインID・所属名・市の名前を含むパスワードは使えません。",
    "too_common": "推測されやすいパスワードです。別の単語や記号を組み合わせてください。",
    "reused": "最近使ったパスワードは使えません。",
    "same_as_current": "現在のパスワードと同じです。",
}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def password_problems(password: str, *, min_length: int, context_words: Iterable[str]) -> list[str]:
    """Problem codes (see PROBLEM_MESSAGES); empty when the password may be used."""
    problems = []
    if len(password) < min_length:
        problems.append("too_short")
    if len(password) > MAX_LENGTH:
        return ["too_long"]
    folded = _fold(password)
    words = [_fold(w) for w in (*context_words, *CITY_WORDS) if len(w) >= 3]
    if any(word in folded for word in words):
        problems.append("context_word")
    elif zxcvbn(password[:100], user_inputs=words)["score"] < MIN_SCORE:
        problems.append("too_common")
    return problems


def is_expired(changed_at: datetime, now: datetime, expiry_days: int) -> bool:
    return now - changed_at >= timedelta(days=expiry_days)


def locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and now < locked_until


def after_failure(
    failed_attempts: int, locked_until: datetime | None, threshold: int, now: datetime
) -> tuple[int, datetime | None]:
    """The new failure count and, when it reaches the threshold, when the lock lifts.

    A lock that has run out starts the count afresh."""
    lapsed = locked_until is not None and locked_until <= now
    count = (0 if lapsed else failed_attempts) + 1
    return count, (now + LOCKOUT if count >= threshold else None)
