"""`madoguchi dlq list|replay` end to end: a handler fails, its message is dead-lettered, listed
without its body, replayed too early (back it comes), fixed, replayed, processed, gone."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from faststream.nats import NatsBroker, NatsRouter
from nats.js import JetStreamContext

from events.catalog import event_spec
from events.envelope import MSG_ID_HEADER, SCHEMA_HEADER, TRACEPARENT_HEADER, publish_event
from handlers.ops.dlq import replay_headers, replay_id
from infra.bus import durable_subscriber, make_broker
from infra.reliability import RetryPolicy
from schemas.events import DocumentScanned
from tests.conftest import NatsFixture
from tests.support import eventually, madoguchi, subject_counts
from tests.test_reliability import scanned


@pytest.fixture(scope="module")
def nats_server(own_bus: NatsFixture) -> NatsFixture:
    """This module counts dead letters: it works on a bus of its own (see `own_bus`)."""
    return own_bus


ORG = "org-dlq"
PATTERN = f"document.scanned.{ORG}"
DURABLE = "t-dlq"


def test_replay_headers_drop_the_dead_letter_ones_and_get_a_stable_new_id() -> None:
    letter = {
        MSG_ID_HEADER: "e1",
        SCHEMA_HEADER: "document.scanned/v1",
        TRACEPARENT_HEADER: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "Madoguchi-Error": "RuntimeError: x",
        "Madoguchi-Deliveries": "4",
        "Madoguchi-Original-Subject": "document.scanned.a",
        "Madoguchi-Original-Stream": "DOCUMENTS",
        "Madoguchi-Original-Sequence": "9",
        "Nats-Expected-Stream": "DEADLETTER",
    }
    again = replay_headers(letter, 7)
    assert again == {
        MSG_ID_HEADER: replay_id("e1", 7),
        SCHEMA_HEADER: "document.scanned/v1",
        TRACEPARENT_HEADER: letter[TRACEPARENT_HEADER],
    }
    assert again[MSG_ID_HEADER] != "e1"
    assert replay_headers(letter, 7) == again  # the same letter twice: deduplicated
    assert replay_headers(letter, 8)[MSG_ID_HEADER] != again[MSG_ID_HEADER]


class Flaky:
    """A handler broken for ORG's documents until fixed."""

    def __init__(self) -> None:
        self.broken = True
        self.done: list[str] = []

    async def __call__(self, doc: DocumentScanned) -> None:
        if doc.org == ORG and self.broken:
            raise RuntimeError("form template store unavailable")
        self.done.append(doc.document_id)


@pytest.fixture
async def flaky(nats_server: NatsFixture, js: JetStreamContext) -> AsyncIterator[Flaky]:
    handler = Flaky()
    policy = RetryPolicy(backoff=(0.2, 0.2), ack_wait=30.0)
    broker: NatsBroker = make_broker([nats_server.url], nats_server.passwords["operator"], policy)
    router = NatsRouter()

    @durable_subscriber(router, event_spec(DocumentScanned), DURABLE)
    async def handle(doc: DocumentScanned) -> None:
        await handler(doc)

    broker.include_router(router)
    await broker.start()
    yield handler
    await broker.stop()
    await js.delete_consumer("DOCUMENTS", DURABLE)


async def letters(js: JetStreamContext) -> int:
    return sum((await subject_counts(js, "DEADLETTER", f"deadletter.{PATTERN}")).values())


async def dlq(nats_server: NatsFixture, *args: str) -> tuple[int, str, str]:
    return await madoguchi(nats_server.data_dir, "dlq", *args)


async def listed(nats_server: NatsFixture) -> list[dict[str, object]]:
    code, out, err = await dlq(nats_server, "list", "--subject", PATTERN, "--json")
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


async def test_list_fix_replay(
    nats_server: NatsFixture, js: JetStreamContext, flaky: Flaky
) -> None:
    nc = await nats_server.connect()
    event = scanned(org=ORG)
    await publish_event(nc.jetstream(), event)
    await nc.close()

    async def one_letter() -> bool:
        return await letters(js) == 1

    await eventually(one_letter, timeout=20)
    [letter] = await listed(nats_server)
    body = event.model_dump_json().encode()
    assert letter["subject"] == PATTERN and letter["stream"] == "DOCUMENTS"
    assert letter["deliveries"] == 3 and "RuntimeError" in str(letter["error"])
    assert letter["size_bytes"] == len(body)
    code, out, _ = await dlq(nats_server, "list", "--subject", PATTERN)
    assert code == 0 and out.startswith(f"{letter['seq']}\t") and "3 tries" in out
    assert event.document_id not in out  # the body is never printed

    # Replayed before the fix: it fails again and comes back as a new dead letter.
    code, out, err = await dlq(nats_server, "replay", "--all", "--subject", PATTERN)
    assert code == 0, err
    await eventually(one_letter, timeout=20)
    [back] = await listed(nats_server)
    assert back["seq"] != letter["seq"]

    flaky.broken = False
    code, out, err = await dlq(nats_server, "replay", "--seq", str(back["seq"]))
    assert code == 0, err
    assert f"-> {PATTERN}" in out

    async def processed() -> bool:
        return event.document_id in flaky.done

    await eventually(processed, timeout=10)
    assert await letters(js) == 0
    replayed = await js.get_last_msg("DOCUMENTS", PATTERN)
    assert replayed.headers is not None
    assert replayed.headers[MSG_ID_HEADER] == replay_id(
        replay_id(event.event_id, int(str(letter["seq"]))), int(str(back["seq"]))
    )
    assert "Madoguchi-Error" not in replayed.headers
    assert not any(name.startswith("Madoguchi-Original") for name in replayed.headers)
    assert replayed.data == body

    code, _, err = await dlq(nats_server, "replay", "--seq", str(back["seq"]))
    assert code == 1 and "no dead letter" in err
    code, _, err = await dlq(nats_server, "replay")
    assert code == 2 and "--all" in err
    code, _, err = await dlq(nats_server, "list", "--subject", "bad subject")
    assert code == 2 and "subject pattern" in err
