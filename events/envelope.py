"""The envelope of every event: id, headers and subject, and the one way to publish.

`Nats-Msg-Id` is the event id, so a retried publish is dropped by the stream's duplicate
window. An event caused by another gets an id derived from its cause (`caused_id`), so a
handler that runs twice for the same message publishes the same id twice: stored once.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from faststream.nats import NatsBroker, PubAck
from nats.js import JetStreamContext

from events.catalog import Endpoint, event_spec
from events.tracing import TraceParent, child_of, current_trace
from schemas.events import Event

SCHEMA_HEADER = "Madoguchi-Schema"
TRACEPARENT_HEADER = "traceparent"
MSG_ID_HEADER = "Nats-Msg-Id"

_CAUSED_NAMESPACE = uuid.UUID("6f1d8c8e-6a55-4b55-9a4e-6d61646f6775")


def new_event_id() -> str:
    return uuid.uuid4().hex


def caused_id(cause_id: str, effect: str) -> str:
    """A stable id for the `effect` of `cause_id`: the same inputs always give the same id."""
    return uuid.uuid5(_CAUSED_NAMESPACE, f"{cause_id}/{effect}").hex


def schema_name(event: Event) -> str:
    return f"{event_spec(type(event)).type_name}/v{event.schema_version}"


def event_headers(event: Event, trace: TraceParent) -> dict[str, str]:
    return {
        MSG_ID_HEADER: event.event_id,
        TRACEPARENT_HEADER: trace.header(),
        SCHEMA_HEADER: schema_name(event),
    }


def event_subject(event: Event) -> str:
    return event_spec(type(event)).subject(event.org)


async def publish_event(bus: NatsBroker | JetStreamContext, event: Event) -> PubAck:
    """Publish to the event's stream and wait for JetStream's acknowledgement.

    `bus` is the service's broker, or a plain JetStream context for command-line tools.
    """
    spec = event_spec(type(event))
    headers = event_headers(event, child_of(current_trace.get()))
    if isinstance(bus, JetStreamContext):
        body = event.model_dump_json().encode()
        sent: PubAck = await bus.publish(
            spec.subject(event.org), body, headers=headers, stream=spec.stream
        )
        return sent
    ack: PubAck = await bus.publish(
        event,
        subject=spec.subject(event.org),
        headers=headers,
        correlation_id=event.event_id,
        stream=spec.stream,
    )
    return ack


class Publisher:
    """The one way a room sends events: declared once per place that sends, and checked
    against the catalog's `producers` when the module is imported (an undeclared sender does
    not start). `tests/test_event_graph.py` checks the other direction: every declared
    producer has its publisher, used in the function the catalog names."""

    declared: ClassVar[list[Publisher]] = []

    def __init__(self, room: str, entry: str, *models: type[Event]) -> None:
        if not models:
            raise ValueError(f"publisher {room}/{entry} names no event")
        self.at = Endpoint(room, entry)
        self.models = models
        for model in models:
            if self.at not in event_spec(model).producers:
                raise ValueError(
                    f"{self.at} publishes {event_spec(model).type_name}, which the catalog"
                    " does not declare among its producers (events/catalog.py)"
                )
        Publisher.declared.append(self)

    async def __call__(self, bus: NatsBroker | JetStreamContext, event: Event) -> PubAck:
        if not isinstance(event, self.models):
            raise TypeError(f"{self.at} may not publish {type(event).__name__}")
        return await publish_event(bus, event)
