"""The settings file (`--config FILE`, TOML), validated before anything starts.

Every key is optional; an unknown key or a bad value stops start-up with the key named.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Network, IPv6Network, ip_address
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(value: object) -> float:
    """'5d', '12h', '90m', '30s', '250ms' -> seconds. Bare numbers are seconds."""
    if isinstance(value, bool):
        raise ValueError("expected a duration like '5d', '12h' or '30s'")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    else:
        raise ValueError(f"expected a duration like '5d', '12h' or '30s', got {value!r}")
    if seconds <= 0:
        raise ValueError("a duration must be longer than zero")
    return seconds


def _at_least_a_second(seconds: float) -> float:
    # The bus refuses a stream max age under 100 ms; anything under a second is a typo.
    if seconds < 1:
        raise ValueError("a retention must be at least 1s")
    return seconds


def is_loopback_host(host: str) -> bool:
    """Whether a URL's host is this machine (localhost, 127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


Duration = Annotated[float, BeforeValidator(parse_duration)]
Retention = Annotated[Duration, AfterValidator(_at_least_a_second)]
Network = IPv4Network | IPv6Network


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ZoneSettings(_Section):
    """Network zones by client address (DESIGN.md, the city's rules)."""

    SA: list[Network] = Field(default_factory=list)
    SJ: list[Network] = Field(default_factory=list)
    MN: list[Network] = Field(default_factory=list)


# Without a `[zones]` section the machine it runs on is the terminal: loopback counts as SJ and
# every other address has no zone. A `[zones]` section, even an empty one, replaces this whole.
EMBEDDED_ZONES = ZoneSettings(SJ=[IPv4Network("127.0.0.0/8"), IPv6Network("::1/128")])


class RetentionSettings(_Section):
    ocr: Retention = parse_duration("5d")
    applications: Retention = parse_duration("90d")
    attachments: Retention = parse_duration("90d")
    audit: Retention = parse_duration("400d")


class PasswordSettings(_Section):
    min_length: int = Field(default=12, ge=8, le=256)
    expiry_days: int = Field(default=90, ge=1)
    lockout_attempts: int = Field(default=5, ge=1)


class PaymentAgentSettings(_Section):
    """The outside payment agent; without `url`, the sandbox agent `up` serves on --agent-port."""

    url: str | None = Field(default=None, pattern=r"^https?://[^\s/]+(/\S*)?$")
    api_key: str | None = None  # default: generated under <data>/payment_agent (as the sandbox)
    ca_file: Path | None = None  # the CA that signed the agent's certificate (default: system CAs)
    webhook_secret: str | None = None  # default: generated under <data>/payment_agent
    reconcile_after: Duration = parse_duration("2m")  # re-ask the agent about payments this old
    reconcile_within: Duration = parse_duration("1d")  # ... for this long after they started

    @field_validator("url")
    @classmethod
    def _tls_unless_loopback(cls, value: str | None) -> str | None:
        # Not the value in the message: a URL may carry credentials.
        if (
            value is not None
            and value.startswith("http://")
            and not is_loopback_host(urlsplit(value).hostname or "")
        ):
            raise ValueError("must be https:// unless the agent runs on this machine")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _standard_webhooks_secret(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("whsec_"):
            raise ValueError("must start with 'whsec_' (Standard Webhooks secret)")
        return value


class ReliabilitySettings(_Section):
    """How every handler retries: delays before the 2nd, 3rd, ... delivery, then dead-letter."""

    backoff: list[Duration] = Field(
        default_factory=lambda: [parse_duration(d) for d in ("2s", "10s", "1m", "5m")],
        min_length=1,
    )


class OcrSettings(_Section):
    workers: int = Field(default=0, ge=0, le=64)  # 0: one worker process per core
    languages: str = Field(default="jpn", pattern=r"^[a-z_]+(\+[a-z_]+)*$")
    max_file_mb: float = Field(default=20.0, gt=0, le=1024)
    max_pages: int = Field(default=100, ge=1, le=1000)
    max_page_megapixels: float = Field(default=72.0, gt=0, le=500)
    # Scan intake over the bus (scan.submit.<org>): per org, files received at once and
    # their declared megabytes; an upload idle this long is dropped with all it held.
    uploads_per_org: int = Field(default=4, ge=1, le=64)
    upload_mb_per_org: float = Field(default=100.0, gt=0, le=4096)
    upload_idle: Duration = parse_duration("30s")


class TlsSettings(_Section):
    """Encrypted transport for the bus and the web app (`madoguchi tls init` makes the files)."""

    enabled: bool = False
    dir: Path | None = None  # default: <data>/tls
    ca_file: Path | None = None  # the city's own CA and server certificate, if it has them
    cert_file: Path | None = None
    key_file: Path | None = None
    client_certs: Literal["off", "optional", "required"] = "optional"


class PortalSettings(_Section):
    city_name: str = Field(default="窓口市", min_length=1, max_length=50)  # shown on every page


class AuditSettings(_Section):
    checkpoint_every: int = Field(default=50, ge=1, le=100_000)  # entries between signatures


class WebSettings(_Section):
    """The web server: whose forwarded addresses are believed, and how long a client may take."""

    # Proxies whose X-Forwarded-For / -Proto are believed (addresses or ranges); default none,
    # so a request's zone always comes from the address that connected.
    trusted_proxies: list[Network] = Field(default_factory=list)
    header_timeout: Duration = parse_duration("10s")  # to send a request's headers
    body_timeout: Duration = parse_duration("15s")  # the longest pause inside a request's body
    max_connections: int = Field(default=200, ge=1, le=100_000)  # then 503


class BusSettings(_Section):
    # The embedded nats-server's JetStream file store limit (max_file_store), in MB. Default:
    # what the store holds plus 3/4 of the free disk. /metrics and the alerts measure against it.
    max_store_mb: float | None = Field(default=None, gt=0)


class Settings(_Section):
    zones: ZoneSettings | None = None  # None: no `[zones]` section, EMBEDDED_ZONES apply
    retention: RetentionSettings = RetentionSettings()
    password: PasswordSettings = PasswordSettings()
    payment_agent: PaymentAgentSettings = PaymentAgentSettings()
    reliability: ReliabilitySettings = ReliabilitySettings()
    ocr: OcrSettings = OcrSettings()
    tls: TlsSettings = TlsSettings()
    audit: AuditSettings = AuditSettings()
    portal: PortalSettings = PortalSettings()
    web: WebSettings = WebSettings()
    bus: BusSettings = BusSettings()

    @property
    def zones_in_force(self) -> ZoneSettings:
        """The configured zones, or the embedded default (loopback is SJ) without a section."""
        return EMBEDDED_ZONES if self.zones is None else self.zones
