from __future__ import annotations

from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from handlers.audit.chain import entry_hash, next_entry, sign, verify
from schemas.audit import AuditEntry, Checkpoint

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
KEY = Ed25519PrivateKey.generate()
TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def chain(length: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for n in range(1, length + 1):
        previous = entries[-1] if entries else None
        entries.append(
            next_entry(
                previous,
                stream="OCR",
                seq=n,
                subject=f"ocr.completed.o{n}",
                msg_id=f"e{n}",
                payload=f'{{"n": {n}}}'.encode(),
                now=NOW,
            )
        )
    return entries


def checkpoints(entries: list[AuditEntry], *at: int) -> list[Checkpoint]:
    return [sign(KEY, "k1", entries[i - 1], NOW) for i in at]


def test_an_intact_chain_verifies() -> None:
    entries = chain(5)
    verdict = verify(entries, checkpoints(entries, 2, 5), KEY.public_key())
    assert verdict.ok and verdict.entries == 5 and verdict.checkpoints == 2


def test_a_removed_entry_is_named() -> None:
    entries = chain(5)
    verdict = verify(entries[:2] + entries[3:], [], KEY.public_key())
    assert not verdict.ok and verdict.problem == "entry 3 is missing (found 4)"


def test_an_altered_event_is_named() -> None:
    entries = chain(4)
    entries[1] = entries[1].model_copy(update={"payload": '{"n": 99}'})
    assert verify(entries, [], KEY.public_key()).problem == "entry 2 was altered"


def test_an_inserted_entry_is_named() -> None:
    entries = chain(4)
    forged = next_entry(None, stream="OCR", seq=9, subject="x", msg_id=None, payload=b"{}", now=NOW)
    forged = forged.model_copy(update={"index": 3})
    verdict = verify([*entries[:2], forged, *entries[2:]], [], KEY.public_key())
    assert verdict.problem == "entry 3 does not follow entry 2"


def test_a_rebuilt_chain_fails_its_signed_checkpoints() -> None:
    honest = chain(4)
    marks = checkpoints(honest, 4)
    # Someone rewrites event 2 and recomputes every later hash: the chain is self-consistent,
    # but the signed checkpoint still holds the old head.
    rewritten = honest[:1]
    for old in honest[1:]:
        payload = b'{"n": 99}' if old.index == 2 else old.payload.encode()
        rewritten.append(
            next_entry(
                rewritten[-1],
                stream=old.source_stream,
                seq=old.source_seq,
                subject=old.subject,
                msg_id=old.msg_id,
                payload=payload,
                now=NOW,
            )
        )
    verdict = verify(rewritten, marks, KEY.public_key())
    assert verdict.problem == "checkpoint at entry 4 does not match the chain"
    forged_key = Ed25519PrivateKey.generate()
    assert (
        verify(honest, marks, forged_key.public_key()).problem
        == "checkpoint at entry 4: bad signature"
    )


def test_the_traceparent_is_chained_and_entries_made_before_it_still_verify() -> None:
    entries = chain(3)
    traced = next_entry(
        entries[-1],
        stream="OCR",
        seq=4,
        subject="ocr.completed.o4",
        msg_id="e4",
        payload=b'{"n": 4}',
        now=NOW,
        traceparent=TRACE,
    )
    assert traced.traceparent == TRACE
    assert verify([*entries, traced], [], KEY.public_key()).ok
    # An entry of the chain's first shape (no traceparent field at all) hashes as before.
    legacy = entries[0].model_dump(mode="json")
    del legacy["traceparent"]
    assert entry_hash(legacy) == entries[0].hash
    altered = traced.model_copy(update={"traceparent": TRACE.replace("-01", "-00")})
    assert not verify([*entries, altered], [], KEY.public_key()).ok
