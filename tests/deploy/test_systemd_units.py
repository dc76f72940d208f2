"""The service units in deploy/systemd pass `systemd-analyze verify` (Debian's systemd, which
`make test` installs when missing) and keep their hardening."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import REPO

UNITS = ("madoguchi.service", "madoguchi-worker@.service")
INSTALLED_AT = "/opt/madoguchi/current"


@pytest.fixture
def units(tmp_path: Path) -> list[Path]:
    """The units with the release directory pointed at this test's own install (verify checks
    that ExecStart's program exists and is executable)."""
    copies = []
    for name in UNITS:
        text = (REPO / "deploy" / "systemd" / name).read_text()
        assert INSTALLED_AT in text
        (tmp_path / name).write_text(text.replace(INSTALLED_AT, sys.prefix))
        copies.append(tmp_path / name)
    return copies


def analyze(*args: str) -> subprocess.CompletedProcess[str]:
    assert shutil.which("systemd-analyze"), "no systemd-analyze: `make test` installs systemd"
    return subprocess.run(["systemd-analyze", *args], capture_output=True, text=True, timeout=60)


def test_units_verify_without_a_warning(units: list[Path]) -> None:
    verified = analyze("verify", *map(str, units))
    assert (verified.returncode, verified.stderr, verified.stdout) == (0, "", "")


def test_a_misspelt_setting_is_caught(units: list[Path]) -> None:
    """verify only warns about unknown keys, so the test above must read its output."""
    units[0].write_text(units[0].read_text().replace("PrivateTmp=", "PrivateTemp="))
    verified = analyze("verify", str(units[0]))
    assert "Unknown key 'PrivateTemp'" in verified.stderr


@pytest.mark.parametrize("name", UNITS)
def test_units_run_hardened_as_their_own_user(units: list[Path], name: str) -> None:
    unit = next(u for u in units if u.name == name)
    settings = set(unit.read_text().splitlines())
    for needed in [
        "User=madoguchi", "Restart=on-failure", "StandardOutput=journal",
        "EnvironmentFile=-/etc/madoguchi/madoguchi.env", "NoNewPrivileges=yes",
        "ProtectSystem=strict", "ReadWritePaths=/var/lib/madoguchi", "PrivateTmp=yes",
    ]:  # fmt: skip
        assert needed in settings, needed
    assert "--data /var/lib/madoguchi" in unit.read_text()
    # systemd's own score, 0 (locked down) to 10; these units score 1.6.
    security = analyze("security", "--offline=true", "--threshold=20", str(unit))
    assert security.returncode == 0, security.stdout[-2000:]
