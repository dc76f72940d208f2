"""Prometheus metrics shared by the rooms; served at `/metrics`.

Labels name streams, consumers, subject families and reason codes: never an org, a login or
anything personal, and never an unbounded value.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from datetime import UTC, datetime

from nats.aio.client import Client
from nats.js import JetStreamContext
from prometheus_client import Counter, Gauge, Histogram

from events.catalog import DEAD_LETTERS, EVENTS, PERSONAL_DATA_KINDS
from infra.store import StoreUsage, store_usage

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

RECORDS_UNREADABLE = Counter(
    "madoguchi_records_unreadable_total",
    "Personal-data records that exist but do not open (a wrong or missing key-encryption key, "
    "or tampering), by kind",
    ["kind"],
)


def subject_family(subject: str) -> str:
    """`ocr.completed.org-a` -> `ocr.completed`: org ids stay out of label values."""
    return ".".join(subject.split(".")[:2])


for _spec in EVENTS:  # every family a handler may hear, in each outcome, from the start
    if _spec.consumers:
        for _outcome in ("acked", "retried", "dead_lettered"):
            MESSAGES.labels(subject_family(_spec.all_orgs), _outcome)


# --- the bus, read from the server at scrape time ---------------------------------------------

BUS_UP = Gauge("madoguchi_bus_up", "1 when the last scrape could read the bus, else 0")
STREAM_MESSAGES = Gauge(
    "madoguchi_stream_messages",
    "Messages kept in each stream (dead letters: DEADLETTER)",
    ["stream"],
)
DEAD_LETTER_DEPTH = Gauge(
    "madoguchi_dead_letters",
    "Dead letters waiting in the DEADLETTER stream (`madoguchi dlq list`)",
)
CONSUMER_PENDING = Gauge(
    "madoguchi_consumer_pending",
    "Consumer lag: messages in the stream not yet delivered to a durable consumer",
    ["stream", "consumer"],
)
CONSUMER_ACK_PENDING = Gauge(
    "madoguchi_consumer_ack_pending",
    "Messages delivered to a durable consumer but not yet acknowledged",
    ["stream", "consumer"],
)


async def refresh_stream_gauges(js: JetStreamContext, streams: Iterable[str]) -> None:
    """Read depths and consumer lag from the server at scrape time (the server is the truth).

    Only durable consumers are shown: ordered and ephemeral ones (replays, command-line tools)
    come and go under generated names. A consumer that is gone disappears from the output.
    """
    depths: dict[str, int] = {}
    lag: dict[tuple[str, str], tuple[int, int]] = {}
    try:
        for stream in streams:
            info = await js.stream_info(stream)
            depths[stream] = info.state.messages
            for consumer in await js.consumers_info(stream):
                if consumer.config.durable_name:
                    counts = (consumer.num_pending or 0, consumer.num_ack_pending or 0)
                    lag[(stream, consumer.name)] = counts
    except Exception:
        BUS_UP.set(0)
        raise
    # Set everything at once, without awaiting in between: a concurrent scrape sees whole sets.
    BUS_UP.set(1)
    for stream, messages in depths.items():
        STREAM_MESSAGES.labels(stream).set(messages)
    if DEAD_LETTERS.name in depths:
        DEAD_LETTER_DEPTH.set(depths[DEAD_LETTERS.name])
    CONSUMER_PENDING.clear()
    CONSUMER_ACK_PENDING.clear()
    for (stream, consumer_name), (undelivered, unacked) in lag.items():
        CONSUMER_PENDING.labels(stream, consumer_name).set(undelivered)
        CONSUMER_ACK_PENDING.labels(stream, consumer_name).set(unacked)


STORE_USED = Gauge(
    "madoguchi_store_used_bytes",
    "JetStream file storage in use by madoguchi's account (the server's account info)",
)
STORE_RESERVED = Gauge(
    "madoguchi_store_reserved_bytes",
    "JetStream file storage reserved by streams with a size limit (the server's account info)",
)
STORE_LIMIT = Gauge(
    "madoguchi_store_limit_bytes",
    "The most JetStream file storage madoguchi may use: the account's limit, else the embedded"
    " server's max_file_store; 0 when neither is known (an outside server without limits)",
)


async def refresh_store_gauges(nc: Client, embedded_limit: int | None) -> StoreUsage:
    """How full the store is, from `$JS.API.INFO` (nats-py's AccountInfo drops the
    reservation)."""
    reply = await nc.request("$JS.API.INFO", b"", timeout=2.0)
    usage = store_usage(json.loads(reply.data), embedded_limit)
    STORE_USED.set(usage.used)
    STORE_RESERVED.set(usage.reserved)
    STORE_LIMIT.set(usage.limit or 0)
    return usage


# --- OCR --------------------------------------------------------------------------------------

OCR_PAGES = Counter("madoguchi_ocr_pages_total", "Pages read by OCR (rate: pages per second)")
OCR_DOCUMENT_SECONDS = Histogram(
    "madoguchi_ocr_document_seconds",
    "Time the OCR handler spent on one document, from its start to the result, by outcome",
    ["outcome"],
    buckets=(0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600),
)
OCR_LATENCY_SECONDS = Histogram(
    "madoguchi_ocr_latency_seconds",
    "Time from a scan's document.scanned event to its OCR result (queueing and retries too)",
    ["outcome"],
    buckets=(1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600),
)


def record_ocr_document(outcome: str, pages: int, started: float, scanned_at: datetime) -> None:
    """One document read: `started` is the handler's `time.perf_counter()` at its start."""
    OCR_PAGES.inc(pages)
    OCR_DOCUMENT_SECONDS.labels(outcome).observe(time.perf_counter() - started)
    if scanned_at.tzinfo is None:  # a producer that forgot its zone meant UTC
        scanned_at = scanned_at.replace(tzinfo=UTC)
    waited = datetime.now(UTC) - scanned_at
    OCR_LATENCY_SECONDS.labels(outcome).observe(max(waited.total_seconds(), 0.0))


# --- identity and payments --------------------------------------------------------------------

SIGN_IN_FAILURES = Counter(
    "madoguchi_sign_in_failures_total",
    "Refused staff sign-ins, by reason (wrong_credentials, locked)",
    ["reason"],
)
ACCESS_REFUSALS = Counter(
    "madoguchi_access_refusals_total",
    "Actions refused by the authorization rules, by reason (needs_sj, other_org, ...)",
    ["reason"],
)
# Series exist from the start, so an alert's increase() sees the first burst in full.
for _reason in ("wrong_credentials", "locked"):
    SIGN_IN_FAILURES.labels(_reason)
for _reason in (
    "role",
    "other_org",
    "no_zone",
    "not_pi_handler",
    "needs_sj",
    "needs_mn",
    "needs_sa",
):
    ACCESS_REFUSALS.labels(_reason)
for _kind in PERSONAL_DATA_KINDS:
    RECORDS_UNREADABLE.labels(_kind)
WEBHOOK_REJECTIONS = Counter(
    "madoguchi_webhook_rejections_total",
    "Payment-agent notifications refused (bad signature, stale timestamp, malformed)",
    ["reason"],
)
for _reason in ("signature", "stale", "malformed"):  # handlers/payments/webhook.py
    WEBHOOK_REJECTIONS.labels(_reason)
