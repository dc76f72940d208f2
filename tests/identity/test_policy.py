from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from handlers.identity.policy import LOCKOUT, after_failure, is_expired, locked, password_problems
from handlers.identity.zones import zone_of
from schemas.settings import ZoneSettings

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("password", "problems"),
    [
        ("correct horse battery staple", []),
        ("hT8#kq2!Lm9z", []),
        ("short1!", ["too_short", "too_common"]),
        ("password1234", ["too_common"]),
        ("qwertyuiop123", ["too_common"]),
        ("yamada-taro-2026!", ["context_word"]),  # the login
        ("ShiminKa-2026-spring", ["context_word"]),  # the org id
        ("madoguchi-spring-2026", ["context_word"]),  # the city's system name
        ("市民課のパスワード2026", ["context_word"]),  # the org name, full width
        ("x" * 300, ["too_long"]),
    ],
)
def test_password_problems(password: str, problems: list[str]) -> None:
    context = ["yamada-taro", "shiminka", "市民課"]
    assert password_problems(password, min_length=12, context_words=context) == problems


def test_expiry() -> None:
    assert not is_expired(NOW - timedelta(days=89), NOW, 90)
    assert is_expired(NOW - timedelta(days=90), NOW, 90)


def test_lockout_counts_then_locks_then_starts_afresh() -> None:
    count, until = 0, None
    for _ in range(4):
        count, until = after_failure(count, until, 5, NOW)
        assert until is None
    count, until = after_failure(count, until, 5, NOW)
    assert count == 5 and until == NOW + LOCKOUT
    assert locked(until, NOW + timedelta(minutes=1))
    later = NOW + LOCKOUT + timedelta(seconds=1)
    assert not locked(until, later)
    assert after_failure(count, until, 5, later) == (1, None)


ZONES = ZoneSettings.model_validate(
    {"SA": ["10.20.0.0/16"], "SJ": ["10.30.0.0/16", "10.20.5.0/24"], "MN": ["10.40.0.0/16"]}
)


@pytest.mark.parametrize(
    ("address", "zone"),
    [
        ("10.20.1.1", "SA"),
        ("10.30.9.9", "SJ"),
        ("10.40.0.1", "MN"),
        ("10.20.5.7", "SJ"),
        ("192.168.1.1", None),
        ("::1", None),
        ("not-an-ip", None),
        (None, None),
    ],
)
def test_zone_by_most_specific_range(address: str | None, zone: str | None) -> None:
    assert zone_of(address, ZONES) == zone


def test_sessions_end_when_idle_or_too_old() -> None:
    from handlers.identity.sessions import ABSOLUTE, IDLE, still_valid
    from schemas.accounts import Principal, Session

    who = Principal(login="u", org="o", role="staff", personal_info=False)
    fresh = Session(principal=who, zone="SA", csrf_token="t", created_at=NOW, last_seen=NOW)
    assert still_valid(fresh, NOW + IDLE - timedelta(seconds=1))
    assert not still_valid(fresh, NOW + IDLE)
    busy = fresh.model_copy(update={"last_seen": NOW + ABSOLUTE - timedelta(minutes=1)})
    assert still_valid(busy, NOW + ABSOLUTE - timedelta(seconds=1))
    assert not still_valid(busy, NOW + ABSOLUTE)  # active all day, still ends at 8 h
