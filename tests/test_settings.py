from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from infra.config import SettingsError, load_settings
from schemas.settings import parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5d", 432000), ("12h", 43200), ("90m", 5400), ("30s", 30), ("250ms", 0.25), (7, 7)],
)
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["five days", "5 weeks", "0s", "-1d", "", True])
def test_bad_durations_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_defaults_match_the_city_rules() -> None:
    settings = load_settings(None)
    assert settings.retention.ocr == 5 * 86400
    assert settings.retention.audit == 400 * 86400
    assert settings.password.min_length == 12


def test_full_contract_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(
        """
[zones]
SA = ["10.20.0.0/16"]
SJ = ["10.30.0.0/16"]
MN = ["10.40.0.0/16"]
[retention]
ocr = "5d"
applications = "90d"
attachments = "90d"
audit = "400d"
[password]
min_length = 12
expiry_days = 90
lockout_attempts = 5
[payment_agent]
webhook_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
""",
        encoding="utf-8",
    )
    settings = load_settings(path)
    assert str(settings.zones.SJ[0]) == "10.30.0.0/16"
    assert settings.retention.applications == 90 * 86400


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        ('[retention]\nocr = "five days"\n', "retention.ocr"),
        ('[retention]\nocrr = "5d"\n', "retention.ocrr: unknown key"),
        ('[zones]\nSJ = ["10.30.0.0/33"]\n', "zones.SJ.0"),
        ('[zones]\nXX = ["10.30.0.0/16"]\n', "zones.XX: unknown key"),
        ("[password]\nmin_length = 4\n", "password.min_length"),
        ('[payment_agent]\nwebhook_secret = "abc"\n', "payment_agent.webhook_secret"),
        ("[colour]\nx = 1\n", "colour: unknown key"),
        ("[retention\n", "not valid TOML"),
    ],
)
def test_bad_settings_name_the_key(tmp_path: Path, toml: str, named: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert named in message
    assert "\n" not in message


def test_up_refuses_bad_settings_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[retention]\nocr = "soon"\n', encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "handlers",
            "--data",
            str(tmp_path / "d"),
            "--config",
            str(path),
            "up",
            "--nats-port",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "retention.ocr" in lines[0]
    assert not (tmp_path / "d" / "nats").exists()  # nothing was started


def test_durations_below_a_second_are_refused_for_retention(tmp_path: Path) -> None:
    path = tmp_path / "short.toml"
    path.write_text('[retention]\nocr = "1ms"\n', encoding="utf-8")  # the bus refuses < 100 ms
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert str(caught.value).endswith("retention.ocr: a retention must be at least 1s")


@pytest.mark.parametrize(
    ("toml", "line"),
    [
        # Checked with the settings file: the agent's API would travel in the clear.
        (
            '[payment_agent]\nurl = "http://clerk:hunter22@agent.example:8080/api"\n'
            'api_key = "sk_live_do_not_print"\n',
            "{tmp}/settings.toml: payment_agent.url: must be https:// unless the agent runs on"
            " this machine",
        ),
        # Checked by the composition root, before anything starts.
        (
            '[payment_agent]\nurl = "https://agent.example"\nca_file = "{tmp}/missing-ca.pem"\n'
            'api_key = "sk_live_do_not_print"\n',
            "payment_agent: CA file {tmp}/missing-ca.pem does not load: No such file or directory",
        ),
        (
            '[payment_agent]\nurl = "https://agent.example"\nca_file = "{tmp}/not-a-cert.pem"\n',
            "payment_agent: CA file {tmp}/not-a-cert.pem is not a PEM certificate",
        ),
        (
            '[tls]\nenabled = true\nca_file = "{tmp}/not-a-cert.pem"\n'
            'cert_file = "{tmp}/not-a-cert.pem"\nkey_file = "{tmp}/not-a-cert.pem"\n',
            "tls: {tmp}/not-a-cert.pem is not a PEM CA certificate",
        ),
    ],
)
def test_up_refuses_settings_it_cannot_use_with_one_line(
    tmp_path: Path, toml: str, line: str
) -> None:
    (tmp_path / "not-a-cert.pem").write_text("-----BEGIN CERTIFICATE-----\nno\n", "utf-8")
    path = tmp_path / "settings.toml"
    path.write_text(toml.format(tmp=tmp_path), encoding="utf-8")
    data = tmp_path / "d"
    result = subprocess.run(
        [sys.executable, "-m", "handlers", "--data", str(data), "--config", str(path), "up"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [f"Error: settings: {line.format(tmp=tmp_path)}"]
    assert "do_not_print" not in result.stderr and "hunter22" not in result.stderr
    assert not (data / "nats").exists()  # no bus server was started
