"""Finding 1: the auditor replays every event stream and can change nothing, not even a
consumer of the service's (raw nats-py client with the auditor's own credentials)."""

from __future__ import annotations

import json

import nats.errors
import pytest
from nats.aio.client import Client
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from events.catalog import STREAMS
from events.envelope import new_event_id
from tests.conftest import NatsFixture
from tests.test_bus_permissions import Refusals, connect

STREAM = "DOCUMENTS"


@pytest.fixture(scope="module")
def nats_server(own_bus: NatsFixture) -> NatsFixture:
    """A bus of this module's own: the replay test writes a marker into every stream, the
    audit chain's included, where it would become the running chain's head and stop it."""
    return own_bus


async def _victim(nc: Client) -> str:
    """A durable pull consumer of the service's kind on DOCUMENTS (as `ocr` is)."""
    name = f"victim-{new_event_id()[:8]}"
    await nc.jetstream().add_consumer(
        STREAM,
        ConsumerConfig(
            durable_name=name, filter_subject="document.scanned.*", ack_policy=AckPolicy.EXPLICIT
        ),
    )
    return name


def _hijack(name: str) -> list[tuple[str, dict[str, object]]]:
    """The consumer-create requests a hostile auditor sends, every subject form the server
    accepts: the legacy ephemeral, the named one (with and without a filter) and DURABLE."""
    config = {"durable_name": name, "name": name, "headers_only": True, "ack_policy": "none"}
    request = {"stream_name": STREAM, "config": config}
    subjects = [
        f"$JS.API.CONSUMER.CREATE.{STREAM}",
        f"$JS.API.CONSUMER.CREATE.{STREAM}.{name}",
        f"$JS.API.CONSUMER.CREATE.{STREAM}.{name}.document.scanned.*",
        f"$JS.API.CONSUMER.DURABLE.CREATE.{STREAM}.{name}",
    ]
    return [(subject, request) for subject in subjects]


async def test_auditor_cannot_change_a_service_consumer(
    nats_server: NatsFixture, nc: Client
) -> None:
    name = await _victim(nc)
    refusals = Refusals()
    auditor = await connect(nats_server, "auditor", refusals)
    try:
        for subject, request in _hijack(name):
            with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
                await auditor.request(subject, json.dumps(request).encode(), timeout=1)
            assert "permissions violation" in await refusals.wait()
        info = await nc.jetstream().consumer_info(STREAM, name)
        assert not info.config.headers_only
        assert info.config.ack_policy == AckPolicy.EXPLICIT
    finally:
        await auditor.close()


async def test_auditor_cannot_make_the_server_deliver_into_a_service_subject(
    nats_server: NatsFixture, nc: Client
) -> None:
    refusals = Refusals()
    auditor = await connect(nats_server, "auditor", refusals)
    try:
        push = ConsumerConfig(
            deliver_subject="payment.refunded.org-z", deliver_policy=DeliverPolicy.ALL
        )
        with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
            await auditor.jetstream(timeout=1).add_consumer("PAYMENTS", push)
        assert "permissions violation" in await refusals.wait()
    finally:
        await auditor.close()
    assert not (await nc.jetstream().consumers_info("PAYMENTS")) or all(
        c.config.deliver_subject != "payment.refunded.org-z"
        for c in await nc.jetstream().consumers_info("PAYMENTS")
    )


async def test_auditor_replays_every_event_stream_by_message_get(
    nats_server: NatsFixture, nc: Client
) -> None:
    """The form that works for a standard client: `STREAM.MSG.GET` with `next_by_subj`
    (nats.py `get_msg(..., next=True)`, nats.js `jsm.streams.getMessage`, `nats stream get`)."""
    js = nc.jetstream()
    markers = {}
    for spec in STREAMS:
        if not spec.subjects or spec.sources:
            continue
        marker = new_event_id()
        subject = spec.subjects[0].replace(">", "replayed.org-z")
        await js.publish(subject, marker.encode(), headers={"Nats-Msg-Id": marker})
        markers[spec.name] = marker.encode()
    assert markers, "no event stream to replay"
    auditor = await connect(nats_server, "auditor", Refusals())
    try:
        ajs = auditor.jetstream(timeout=2)
        for stream, marker in markers.items():
            last = (await ajs.stream_info(stream)).state.last_seq
            bodies, seq = [], 1
            while seq <= last:
                msg = await ajs.get_msg(stream, seq=seq, subject=">", next=True)
                bodies.append(msg.data)
                seq = int(msg.seq or seq) + 1
            assert marker in bodies, stream
    finally:
        await auditor.close()
