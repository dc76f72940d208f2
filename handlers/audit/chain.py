"""The hash chain as pure functions: make the next entry, verify a whole chain."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from schemas.audit import GENESIS, AuditEntry, Checkpoint

# Fields hashed even when empty (the entry's shape when the chain began).
ALWAYS = frozenset({"msg_id"})


def entry_hash(fields: dict[str, object]) -> str:
    """SHA-256 of the entry's fields (all but `hash`) as canonical JSON. An optional field
    added later counts only when set, so entries made before it still verify."""
    canonical = json.dumps(
        {k: v for k, v in fields.items() if k != "hash" and (v is not None or k in ALWAYS)},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def next_entry(
    previous: AuditEntry | None,
    *,
    stream: str,
    seq: int,
    subject: str,
    msg_id: str | None,
    payload: bytes,
    now: datetime,
    traceparent: str | None = None,
) -> AuditEntry:
    fields: dict[str, object] = {
        "index": (previous.index + 1) if previous else 1,
        "prev_hash": previous.hash if previous else GENESIS,
        "recorded_at": now,
        "source_stream": stream,
        "source_seq": seq,
        "subject": subject,
        "msg_id": msg_id,
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
        "payload": payload.decode("utf-8", errors="replace"),
        "traceparent": traceparent,
    }
    made = AuditEntry.model_validate({**fields, "hash": GENESIS})
    return made.model_copy(update={"hash": entry_hash(made.model_dump(mode="json"))})


def checkpoint_message(index: int, head_hash: str) -> bytes:
    return f"{index}:{head_hash}".encode()


def sign(key: Ed25519PrivateKey, key_id: str, entry: AuditEntry, now: datetime) -> Checkpoint:
    signature = key.sign(checkpoint_message(entry.index, entry.hash))
    return Checkpoint(
        index=entry.index,
        head_hash=entry.hash,
        signed_at=now,
        key_id=key_id,
        signature=base64.b64encode(signature).decode(),
    )


@dataclass(frozen=True)
class Verdict:
    ok: bool
    entries: int
    checkpoints: int
    problem: str | None = None  # names the first broken link


def verify(
    entries: Iterable[AuditEntry], checkpoints: Iterable[Checkpoint], public_key: Ed25519PublicKey
) -> Verdict:
    """Recompute the chain and check every signed checkpoint against it."""
    heads: dict[int, str] = {}
    expected_index, previous_hash, count = 1, GENESIS, 0
    for entry in entries:
        count += 1
        if entry.index != expected_index:
            what = "missing" if entry.index > expected_index else "out of order or repeated"
            return Verdict(
                False, count, 0, f"entry {expected_index} is {what} (found {entry.index})"
            )
        if entry.prev_hash != previous_hash:
            return Verdict(
                False, count, 0, f"entry {entry.index} does not follow entry {entry.index - 1}"
            )
        if entry_hash(entry.model_dump(mode="json")) != entry.hash:
            return Verdict(False, count, 0, f"entry {entry.index} was altered")
        if hashlib.sha256(entry.payload.encode()).hexdigest() != entry.payload_sha256:
            return Verdict(False, count, 0, f"entry {entry.index}: its event was altered")
        heads[entry.index] = entry.hash
        expected_index, previous_hash = entry.index + 1, entry.hash
    signed = 0
    for checkpoint in checkpoints:
        if heads.get(checkpoint.index) != checkpoint.head_hash:
            return Verdict(
                False,
                count,
                signed,
                f"checkpoint at entry {checkpoint.index} does not match the chain",
            )
        try:
            public_key.verify(
                base64.b64decode(checkpoint.signature),
                checkpoint_message(checkpoint.index, checkpoint.head_hash),
            )
        except InvalidSignature:
            return Verdict(
                False, count, signed, f"checkpoint at entry {checkpoint.index}: bad signature"
            )
        signed += 1
    return Verdict(True, count, signed)
