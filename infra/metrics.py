"""Prometheus metrics shared by the rooms; served at `/metrics`."""

from __future__ import annotations

from collections.abc import Iterable

from nats.js import JetStreamContext
from prometheus_client import Counter, Gauge, Histogram

MESSAGES = Counter(
    "madoguchi_messages_total",
    "Bus messages handled, by subject family and outcome (acked, retried, dead_lettered)",
    ["family", "outcome"],
)
HANDLING_SECONDS = Histogram(
    "madoguchi_handling_seconds",
    "Time a handler spent on one message, by subject family",
    ["family"],
)


def subject_family(subject: str) -> str:
    """`ocr.completed.org-a` -> `ocr.completed`: org ids stay out of label values."""
    return ".".join(subject.split(".")[:2])


STREAM_MESSAGES = Gauge(
    "madoguchi_stream_messages",
    "Messages kept in each stream (dead letters: DEADLETTER)",
    ["stream"],
)
CONSUMER_PENDING = Gauge(
    "madoguchi_consumer_pending", "Messages not yet delivered to a durable consumer", ["consumer"]
)
CONSUMER_ACK_PENDING = Gauge(
    "madoguchi_consumer_ack_pending", "Messages delivered but not yet acknowledged", ["consumer"]
)


async def refresh_stream_gauges(js: JetStreamContext, streams: Iterable[str]) -> None:
    """Read depths and consumer lag from the server at scrape time (the server is the truth)."""
    for stream in streams:
        info = await js.stream_info(stream)
        STREAM_MESSAGES.labels(stream).set(info.state.messages)
        for consumer in await js.consumers_info(stream):
            name = f"{stream}/{consumer.name}"
            CONSUMER_PENDING.labels(name).set(consumer.num_pending or 0)
            CONSUMER_ACK_PENDING.labels(name).set(consumer.num_ack_pending or 0)


WEBHOOK_REJECTIONS = Counter(
    "madoguchi_webhook_rejections_total",
    "Payment-agent notifications refused (bad signature, stale timestamp, malformed)",
    ["reason"],
)
