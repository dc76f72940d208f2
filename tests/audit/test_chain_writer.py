"""The running chain writer keeps every event's exact bytes, whatever they are."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

from events.catalog import AUDIT_ENTRY_SUBJECT
from events.envelope import new_event_id
from handlers.ops.dlq import dead_letters
from infra.reliability import ORIGINAL_MSG_ID_HEADER
from tests.conftest import AppFixture

SUBJECT = "access.refused.audit-raw"  # only the chain writer consumes it


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"event_id": "e", "org": "audit-raw"}', None),  # as the service publishes
        (b'{"event_id": "e", "org": "audit-raw"}', "application/json"),
        (b'\xff{"not json', "application/json"),  # a client's garbled body
        (b"\xff plain", None),
    ],
)
async def test_every_body_is_chained_as_it_is(
    app: AppFixture, js: JetStreamContext, body: bytes, content_type: str | None
) -> None:
    """Whatever the bytes, and whatever their content type claims, the chain keeps them (it
    never needs them decoded): a garbled body is evidence, not a dead letter."""
    event_id = new_event_id()
    since = datetime.now(UTC) - timedelta(seconds=1)
    headers = {"Nats-Msg-Id": event_id} | ({"content-type": content_type} if content_type else {})
    await js.publish(SUBJECT, body, headers=headers)
    entry = await chained(js, event_id, since)
    assert entry["subject"] == SUBJECT
    assert entry["payload_sha256"] == hashlib.sha256(body).hexdigest()
    letters = [letter async for letter in dead_letters(js, SUBJECT)]
    assert all(letter.headers for letter in letters)  # each names the event it is a letter of
    assert event_id not in {(letter.headers or {})[ORIGINAL_MSG_ID_HEADER] for letter in letters}


async def chained(js: JetStreamContext, msg_id: str, since: datetime) -> dict[str, object]:
    """The chain entry of one event, read from the entries written since `since`."""
    sub = await js.subscribe(
        AUDIT_ENTRY_SUBJECT,
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.BY_START_TIME,
        config=ConsumerConfig(opt_start_time=since.isoformat()),
    )
    try:
        while True:
            entry: dict[str, object] = json.loads((await sub.next_msg(timeout=60)).data)
            if entry["msg_id"] == msg_id:
                return entry
    finally:
        await sub.unsubscribe()
