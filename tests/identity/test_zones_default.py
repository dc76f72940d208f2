"""Zones on a fresh install: without `[zones]` this machine (loopback) is an SJ terminal and
nothing else has a zone; a `[zones]` section, even an empty one, replaces that default."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from handlers.audit.chain import Verdict
from handlers.identity.zones import zone_of
from handlers.privacy.report import render
from infra.config import load_settings
from schemas.settings import Settings
from tests.conftest import TEST_SETTINGS

WARNING = "組み込みの既定値で動いています"


@pytest.mark.parametrize(
    ("address", "zone"),
    [
        ("127.0.0.1", "SJ"),
        ("127.0.0.4", "SJ"),
        ("::1", "SJ"),
        ("10.30.0.5", None),
        ("192.168.1.1", None),
        ("::ffff:10.0.0.1", None),
    ],
)
def test_without_zones_loopback_is_sj_and_nothing_else_has_a_zone(
    address: str, zone: str | None
) -> None:
    assert zone_of(address, Settings().zones_in_force) == zone


def test_configured_zones_replace_the_default_entirely(tmp_path: Path) -> None:
    assert zone_of("127.0.0.1", TEST_SETTINGS.zones_in_force) is None
    assert zone_of("127.0.0.3", TEST_SETTINGS.zones_in_force) == "SJ"
    empty = tmp_path / "empty.toml"
    empty.write_text("[zones]\n", encoding="utf-8")
    assert zone_of("127.0.0.1", load_settings(empty).zones_in_force) is None


def _report(settings: Settings) -> str:
    now = datetime(2026, 1, 31, tzinfo=UTC)
    return render(
        now=now,
        since=now,
        settings=settings,
        stores=[],
        keys=[],
        access=Counter(),
        verdict=Verdict(ok=True, entries=0, checkpoints=0),
    )


def test_the_privacy_report_flags_an_installation_on_the_default() -> None:
    on_default = _report(Settings())
    assert WARNING in on_default and "| SJ（住民情報系） | 127.0.0.0/8, ::1/128 |" in on_default
    configured = _report(TEST_SETTINGS)
    assert WARNING not in configured and "127.0.0.3/32" in configured
