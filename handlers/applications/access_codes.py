"""The resident's access code: shown once, kept only as a salted hash, guessing slowed down.

A code has 12 characters from 31 that cannot be mistaken for each other (about 59 bits),
so a salted SHA-256 is enough: with 5 tries per 15 minutes nobody guesses one online, and
offline the hash alone is no use without the application id it belongs to.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from datetime import datetime, timedelta

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
GROUPS, GROUP_LENGTH = 3, 4
MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
LOCKED_MESSAGE = (
    "アクセスコードの誤りが続いたため、15分間確認できません。時間をおいてお試しください。"
)
WRONG_MESSAGE = "受付番号またはアクセスコードが違います。"


def new_code() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_LENGTH))
    return "-".join(chars[i : i + GROUP_LENGTH] for i in range(0, len(chars), GROUP_LENGTH))


def _canonical(typed: str) -> str:
    # Phones type full-width or lower case; hyphens and spaces are only for reading.
    text = unicodedata.normalize("NFKC", typed).upper()
    return "".join(char for char in text if char in ALPHABET)


def hash_code(code: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(16)
    digest = hashlib.sha256(f"{salt}:{_canonical(code)}".encode()).hexdigest()
    return f"sha256${salt}${digest}"


def code_matches(typed: str, stored: str) -> bool:
    _, salt, _ = stored.split("$", 2)
    return hmac.compare_digest(hash_code(typed, salt), stored)


def locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and now < locked_until


def after_failure(failures: int, now: datetime) -> tuple[int, datetime | None]:
    """(failures to keep, locked until): the 5th wrong code locks for 15 minutes."""
    failures += 1
    if failures >= MAX_FAILURES:
        return 0, now + LOCK_FOR
    return failures, None
