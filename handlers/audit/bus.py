"""The chain writer: every message of AUDIT_FEED becomes the next entry of the AUDIT chain.

One entry at a time across all workers (the consumer allows one unacknowledged message), and
each write states the sequence it expects to follow, so two writers can never fork the chain.
A redelivered message already chained is recognised and skipped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from faststream import Context
from faststream.middlewares import AckPolicy
from faststream.nats import ConsumerConfig, JStream, NatsMessage, NatsRouter, PullSub
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from events.catalog import AUDIT, AUDIT_CHECKPOINT_SUBJECT, AUDIT_ENTRY_SUBJECT, AUDIT_FEED
from events.envelope import TRACEPARENT_HEADER
from events.tracing import parse_traceparent
from handlers.audit.chain import next_entry, sign
from infra.signing import key_id, load_or_create
from schemas.audit import AuditEntry
from schemas.settings import AuditSettings

router = NatsRouter()


async def last_entry(js: JetStreamContext) -> tuple[AuditEntry | None, int]:
    """The chain's head and its sequence in the AUDIT stream (0: an empty chain)."""
    try:
        msg = await js.get_last_msg(AUDIT.name, AUDIT_ENTRY_SUBJECT)
    except NotFoundError:
        return None, 0
    return AuditEntry.model_validate_json(msg.data or b""), int(msg.seq or 0)


def source_of(msg: NatsMessage) -> tuple[str, int]:
    """The original stream and sequence of a message copied into AUDIT_FEED."""
    header = (msg.raw_message.headers or {}).get("Nats-Stream-Source", "")
    parts = header.split()
    if len(parts) >= 2 and parts[1].isdigit():
        return parts[0].split(":")[0], int(parts[1])
    meta = msg.raw_message.metadata
    return str(meta.stream), int(meta.sequence.stream)


def _valid_trace(header: str | None) -> str | None:
    """The event's traceparent if well-formed (a foreign value is not copied in)."""
    trace = parse_traceparent(header) if header else None
    return trace.header() if trace else None


async def exact_bytes(msg: NatsMessage) -> bytes:
    """The chain's decoder: none. A body that is not what its content type claims (a
    client's garbled JSON, bytes that are not UTF-8) is chained as it is; decoding it would
    fail and hold up the whole chain (one message in flight) until it was dead-lettered."""
    return msg.body


@router.subscriber(
    ">",
    stream=JStream(AUDIT_FEED.name, declare=False),
    durable="audit-chain",
    pull_sub=PullSub(batch_size=1, timeout=5.0),
    config=ConsumerConfig(max_ack_pending=1, ack_wait=30.0, max_deliver=-1),
    ack_policy=AckPolicy.MANUAL,
    description="Chain every event into the audit record",
    decoder=exact_bytes,
)
async def chain_event(
    body: bytes,
    msg: NatsMessage,
    js: JetStreamContext = Context("js"),
    settings: AuditSettings = Context("settings.audit"),
    data_dir: Path = Context("data_dir"),
) -> None:
    """`body` is the event's exact bytes, which the chain keeps."""
    stream, seq = source_of(msg)
    head, head_seq = await last_entry(js)
    if head is not None and (head.source_stream, head.source_seq) == (stream, seq):
        return  # chained before a crash or a lost acknowledgement
    headers = msg.raw_message.headers or {}
    entry = next_entry(
        head,
        stream=stream,
        seq=seq,
        subject=msg.raw_message.subject,
        msg_id=headers.get("Nats-Msg-Id"),
        payload=body,
        now=datetime.now(UTC),
        traceparent=_valid_trace(headers.get(TRACEPARENT_HEADER)),
    )
    await js.publish(
        AUDIT_ENTRY_SUBJECT,
        entry.model_dump_json().encode(),
        stream=AUDIT.name,
        headers={
            "Nats-Msg-Id": f"audit-{entry.index}",
            "Nats-Expected-Last-Subject-Sequence": str(head_seq),
            **({TRACEPARENT_HEADER: entry.traceparent} if entry.traceparent else {}),
        },
    )
    if entry.index % settings.checkpoint_every == 0:
        key = load_or_create(Path(data_dir) / "keys")
        checkpoint = sign(key, key_id(key.public_key()), entry, datetime.now(UTC))
        await js.publish(
            AUDIT_CHECKPOINT_SUBJECT,
            checkpoint.model_dump_json().encode(),
            stream=AUDIT.name,
            headers={"Nats-Msg-Id": f"checkpoint-{entry.index}"},
        )
