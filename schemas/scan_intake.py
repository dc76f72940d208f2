"""Scan intake over the bus (`scan.submit.<org>`): the headers every message carries and the
service's replies. No personal data: hashes, sizes, offsets, ids and our own reason sentences.

The protocol, in short: the first message goes to `scan.submit.<org>` carrying the file's
first bytes; every reply says what to do next. `continue`: send the bytes from `offset`
(at most `chunk_bytes`) to the subject `upload`; `accepted` / `rejected`: done; `retry`:
start again from the first message after `retry_after` seconds.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.events import RECORD_ID_PATTERN
from schemas.forms import TEMPLATE_ID_PATTERN

SHA256_PATTERN = r"^[0-9a-f]{64}$"
# The most one message may carry; the service asks for this much (or less) per chunk.
MAX_CHUNK_BYTES = 1024 * 1024


class ScanSubmitHeaders(BaseModel):
    """The NATS headers of every message of an upload (the same on each, but `Scan-Offset`)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    sha256: str = Field(
        alias="Scan-Sha256", pattern=SHA256_PATTERN, description="hex SHA-256 of the whole file"
    )
    size: int = Field(alias="Scan-Size", ge=0, description="the whole file's length in bytes")
    offset: int = Field(
        alias="Scan-Offset", ge=0, description="where this message's bytes sit in the file"
    )
    template_id: str | None = Field(
        default=None,
        alias="Scan-Template",
        pattern=TEMPLATE_ID_PATTERN,
        description="the form definition to read fields by (optional)",
    )
    personal_info: bool = Field(
        default=False,
        alias="Scan-Personal-Info",
        description='"true" when the scan holds personal information',
    )


ScanSubmitStatus = Literal["continue", "accepted", "rejected", "retry"]


class ScanSubmitReply(BaseModel):
    """The service's answer to each message of an upload (JSON body)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: ScanSubmitStatus
    document_id: str | None = Field(
        default=None,
        pattern=RECORD_ID_PATTERN,
        description="accepted: the document; rejected: set when staff can see the refusal",
    )
    reason_code: str | None = Field(default=None, description="rejected and retry: why")
    reason: str | None = Field(
        default=None, description="rejected: the clerk's reason (Japanese), never the file's"
    )
    upload: str | None = Field(default=None, description="continue: the next chunk's subject")
    offset: int | None = Field(default=None, ge=0, description="continue: send from here")
    chunk_bytes: int | None = Field(
        default=None, ge=1, le=MAX_CHUNK_BYTES, description="continue: at most this many"
    )
    retry_after: float | None = Field(
        default=None, ge=0, description="retry: seconds to wait, then start again"
    )

    def wire(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()


class BusCredentials(BaseModel):
    """What `madoguchi creds ROLE --out FILE` writes and `scan`/`watch --creds FILE` read:
    everything a plain NATS client needs to act as one bus user. With TLS client certificates
    required, `password` is null and the certificate names the user."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str
    user: str
    password: str | None
    inbox_prefix: str
    org: str | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
