"""The reliability policy against a real nats-server: backoff, dead letters, poison, heartbeats."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
from faststream.nats import NatsBroker, NatsRouter
from nats.js import JetStreamContext
from pydantic import ValidationError

from events.catalog import event_spec
from events.envelope import new_event_id, publish_event
from events.tracing import current_trace, parse_traceparent
from handlers.ops.dlq import dead_letters
from infra.bus import durable_subscriber, make_broker
from infra.reliability import DeadLetter, Retry, RetryPolicy, decide, describe_error
from schemas.events import DocumentScanned
from tests.conftest import NatsFixture
from tests.support import completed_for, eventually, subject_counts


@pytest.fixture(scope="module")
def nats_server(own_bus: NatsFixture) -> NatsFixture:
    """This module counts dead letters: it works on a bus of its own (see `own_bus`)."""
    return own_bus


POLICY = RetryPolicy(backoff=(0.3, 0.6, 1.2), ack_wait=30.0)


@pytest.mark.parametrize(
    ("delivered", "invalid", "expected"),
    [
        (1, False, Retry(0.3)),
        (2, False, Retry(0.6)),
        (3, False, Retry(1.2)),
        (4, False, DeadLetter("gave up after 4 deliveries")),
        (9, False, DeadLetter("gave up after 9 deliveries")),
        (1, True, DeadLetter("invalid payload: retrying cannot help")),
    ],
)
def test_decide(delivered: int, invalid: bool, expected: Retry | DeadLetter) -> None:
    assert decide(POLICY, delivered, invalid) == expected


def test_describe_error_never_echoes_the_payload() -> None:
    try:
        DocumentScanned.model_validate(
            {
                "event_id": "e",
                "org": "山田太郎の住所",
                "document_id": "d",
                "personal_info": False,
                "content_type": "x",
                "size_bytes": 1,
                "source": "cli",
            }
        )
    except ValidationError as exc:
        text = describe_error(exc)
    assert "org" in text
    assert "山田" not in text
    assert "\n" not in text


def scanned(org: str = "org-a", document_id: str | None = None) -> DocumentScanned:
    return DocumentScanned(
        event_id=new_event_id(),
        org=org,
        document_id=document_id or new_event_id(),
        personal_info=False,
        content_type="image/png",
        size_bytes=1,
        source="cli",
    )


@dataclass
class Harness:
    broker: NatsBroker
    js: JetStreamContext
    seen: list[tuple[str, float]] = field(default_factory=list)


@pytest.fixture
async def harness_factory(
    nats_server: NatsFixture, js: JetStreamContext
) -> AsyncIterator[Callable[..., object]]:
    brokers: list[NatsBroker] = []
    # Each test starts from empty streams: other modules leave scans behind.
    await js.purge_stream("DOCUMENTS")
    await js.purge_stream("DEADLETTER")

    async def start(
        behaviour, *, durable: str, policy: RetryPolicy = POLICY, ack_wait: float = 30.0
    ):  # type: ignore[no-untyped-def]
        broker = make_broker([nats_server.url], nats_server.passwords["operator"], policy)
        router = NatsRouter()
        harness = Harness(broker, js)

        @durable_subscriber(router, event_spec(DocumentScanned), durable, ack_wait=ack_wait)
        async def handle(doc: DocumentScanned) -> None:
            harness.seen.append((doc.document_id, time.monotonic()))
            await behaviour(doc, broker)

        broker.include_router(router)
        await broker.start()
        brokers.append(broker)
        return harness

    yield start
    for broker in brokers:
        await broker.stop()
    await js.purge_stream("DOCUMENTS")
    await js.purge_stream("DEADLETTER")


async def test_failing_handler_retries_with_growing_delay_then_dead_letters(
    harness_factory, js: JetStreamContext
) -> None:  # type: ignore[no-untyped-def]
    async def always_fails(doc: DocumentScanned, broker: NatsBroker) -> None:
        raise RuntimeError(f"cannot read document {doc.document_id}")

    dead = await js.subscribe("deadletter.document.scanned.>")
    harness = await harness_factory(always_fails, durable="t-backoff")
    event = scanned()
    await publish_event(harness.broker, event)

    letter = await dead.next_msg(timeout=20)
    assert letter.subject == "deadletter.document.scanned.org-a"
    assert letter.headers["Madoguchi-Deliveries"] == "4"
    assert "RuntimeError" in letter.headers["Madoguchi-Error"]
    assert letter.headers["Madoguchi-Original-Subject"] == "document.scanned.org-a"
    assert letter.headers["Madoguchi-Original-Msg-Id"] == event.event_id
    assert letter.headers["Madoguchi-Consumer"] == "t-backoff"
    assert letter.headers["Nats-Msg-Id"] == f"{event.event_id}/t-backoff"
    assert DocumentScanned.model_validate_json(letter.data) == event
    times = [t for doc_id, t in harness.seen if doc_id == event.document_id]
    assert len(times) == POLICY.max_deliveries
    gaps = [b - a for a, b in itertools.pairwise(times)]
    for gap, wanted in zip(gaps, POLICY.backoff, strict=True):
        assert gap >= wanted * 0.9, (gaps, POLICY.backoff)
    assert gaps[-1] > gaps[0]
    await dead.unsubscribe()


async def test_invalid_payload_goes_straight_to_dead_letter(harness_factory, js, nc) -> None:  # type: ignore[no-untyped-def]
    async def fine(doc: DocumentScanned, broker: NatsBroker) -> None:
        return None

    dead = await js.subscribe("deadletter.>")
    harness = await harness_factory(fine, durable="t-invalid")
    await js.publish(
        "document.scanned.org-b", b'{"document_id": 5}', headers={"Nats-Msg-Id": "bad-1"}
    )
    await js.publish("document.scanned.org-b", b"not json at all", headers={"Nats-Msg-Id": "bad-2"})
    letters = [await dead.next_msg(timeout=10), await dead.next_msg(timeout=10)]
    for letter in letters:
        assert letter.headers["Madoguchi-Deliveries"] == "1"
        assert letter.headers["Madoguchi-Error"].startswith("invalid payload")
    assert letters[0].data == b'{"document_id": 5}'
    assert letters[1].data == b"not json at all"
    assert harness.seen == []
    await dead.unsubscribe()


async def test_two_consumers_that_give_up_on_one_event_each_keep_a_letter(
    harness_factory, js: JetStreamContext
) -> None:  # type: ignore[no-untyped-def]
    async def fine(doc: DocumentScanned, broker: NatsBroker) -> None:
        return None

    for durable in ("t-first", "t-second"):
        await harness_factory(fine, durable=durable)
    await js.publish("document.scanned.org-c", b"not json", headers={"Nats-Msg-Id": "bad-3"})

    async def both() -> bool:
        counts = await subject_counts(js, "DEADLETTER", "deadletter.document.scanned.org-c")
        return sum(counts.values()) >= 2

    await eventually(both, timeout=20)
    letters = [letter async for letter in dead_letters(js, "document.scanned.org-c")]
    # neither was dropped as the other's duplicate
    assert sorted((letter.headers or {})["Madoguchi-Consumer"] for letter in letters) == [
        "t-first",
        "t-second",
    ]
    assert {letter.data for letter in letters} == {b"not json"}


async def test_poison_message_does_not_block_the_others(harness_factory, js) -> None:  # type: ignore[no-untyped-def]
    good_done = asyncio.Event()

    async def poison_fails(doc: DocumentScanned, broker: NatsBroker) -> None:
        if doc.document_id == "poison":
            raise ValueError("always broken")
        good_done.set()

    slow = RetryPolicy(backoff=(5.0, 5.0), ack_wait=30.0)
    harness = await harness_factory(poison_fails, durable="t-poison", policy=slow)
    await publish_event(harness.broker, scanned(document_id="poison"))
    await publish_event(harness.broker, scanned(document_id="good"))
    # The good one is handled while the poison one waits out its 5 s backoff.
    await asyncio.wait_for(good_done.wait(), timeout=4.0)
    assert [d for d, _ in harness.seen][:2] == ["poison", "good"]


async def test_long_work_keeps_its_message_with_heartbeats(harness_factory) -> None:  # type: ignore[no-untyped-def]
    finished = asyncio.Event()

    async def slow(doc: DocumentScanned, broker: NatsBroker) -> None:
        await asyncio.sleep(4.5)  # longer than ack_wait: without in_progress() it is redelivered
        finished.set()

    # Two workers share the durable consumer, as two processes would: a message whose ack
    # wait runs out is redelivered to the idle one.
    policy = RetryPolicy(backoff=(0.2,), ack_wait=1.5)
    workers = [
        await harness_factory(slow, durable="t-heartbeat", policy=policy, ack_wait=1.5)
        for _ in range(2)
    ]
    await publish_event(workers[0].broker, scanned(document_id="long"))
    await asyncio.wait_for(finished.wait(), timeout=15)
    info = await workers[0].js.consumer_info("DOCUMENTS", "t-heartbeat")
    assert info.num_redelivered == 0
    assert [d for w in workers for d, _ in w.seen] == ["long"]


async def test_produced_events_continue_the_trace_and_dedupe(harness_factory, js) -> None:  # type: ignore[no-untyped-def]
    async def produce(doc: DocumentScanned, broker: NatsBroker) -> None:
        effect = completed_for(doc)
        assert current_trace.get() is not None
        await publish_event(broker, effect)
        await publish_event(broker, effect)  # a retried publish: the stream keeps one

    done = await js.subscribe("ocr.completed.org-t")
    harness = await harness_factory(produce, durable="t-trace")
    cause = scanned(org="org-t")
    ack = await publish_event(harness.broker, cause)
    assert not ack.duplicate
    effect_msg = await done.next_msg(timeout=10)
    cause_msg = await js.get_msg("DOCUMENTS", ack.seq)
    parent = parse_traceparent(cause_msg.headers["traceparent"])
    child = parse_traceparent(effect_msg.headers["traceparent"])
    assert parent is not None and child is not None
    assert child.trace_id == parent.trace_id and child.span_id != parent.span_id
    info = await js.stream_info("OCR", subjects_filter="ocr.completed.org-t")
    assert info.state.subjects == {"ocr.completed.org-t": 1}
    await done.unsubscribe()
