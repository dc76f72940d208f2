"""The audit chain: every event of every stream, in order, each entry holding its
predecessor's hash; signed checkpoints over the head. No personal data (claim check)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

GENESIS = "0" * 64


class AuditEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    index: int = Field(ge=1)
    prev_hash: str
    recorded_at: datetime
    source_stream: str
    source_seq: int
    subject: str
    msg_id: str | None = None
    payload_sha256: str
    payload: str  # the original event (ids, states, counts only)
    # The W3C trace context the chained event was published with, so a trace can be followed
    # into the audit record. Entries made before it existed have none (and hash without it).
    traceparent: str | None = None
    hash: str


class Checkpoint(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    index: int = Field(ge=1)
    head_hash: str
    signed_at: datetime
    key_id: str
    signature: str  # base64 Ed25519 over "<index>:<head_hash>"
