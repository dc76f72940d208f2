"""Any number of `madoguchi worker` processes share the work, and faults lose nothing: a worker
killed mid-document, the embedded server restarted mid-run, a consumer slower than its producers.

Each test runs its own nats-server and real worker processes on it, reading small generated pages
with the real OCR.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import nats
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import ConsumerInfo

from events.envelope import new_event_id
from handlers.ocr import records
from infra.nats_server import EmbeddedNatsServer
from infra.pi_store import open_pi_store
from infra.provisioning import provision_all
from schemas.events import DocumentScanned
from schemas.settings import Settings
from tests.conftest import free_port
from tests.processes import (
    OCR_DURABLE,
    REPO,
    Worker,
    ocr_consumer_with_ack_wait,
    outcomes,
    rss_bytes,
    submit_pages,
)
from tests.support import eventually, subject_counts

ORG = "scale-out"
SHORT_ACK_WAIT = 3.0  # seconds until a dead worker's document goes to another


class Bus:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.server = EmbeddedNatsServer(data_dir, self.port)
        self.client: Client | None = None

    @property
    def url(self) -> str:
        return self.server.url

    async def start(self) -> Client:
        await self.server.start()
        self.client = await nats.connect(
            self.url, user="operator", password=self.server.passwords["operator"]
        )
        return self.client

    async def restart(self, down_for: float = 0.5) -> None:
        """SIGKILL the server, as a crash would, and start it again on the same store and port."""
        await self.server.kill()
        await asyncio.sleep(down_for)
        await self.server.start()


@pytest.fixture
async def bus(tmp_path: Path) -> AsyncIterator[Bus]:
    bus = Bus(tmp_path / "data")
    client = await bus.start()
    await provision_all(client.jetstream(), Settings().retention)
    yield bus
    if bus.client is not None:
        await bus.client.close()
    await bus.server.stop()


@pytest.fixture
async def workers(bus: Bus) -> AsyncIterator[list[Worker]]:
    """Started by the test (after it set up what it needs); stopped here."""
    started: list[Worker] = []
    yield started
    for worker in started:
        await worker.stop()


async def start_workers(bus: Bus, running: list[Worker], count: int) -> list[Worker]:
    assert bus.client is not None
    open_pi_store(bus.client.jetstream(), bus.data_dir)  # the key ring, before a worker makes one
    new = [
        Worker(bus.data_dir, [bus.url], f"worker-{len(running) + n}", metrics_port=free_port())
        for n in range(count)
    ]
    running += new
    await asyncio.gather(*(worker.start() for worker in new))
    return new


async def pages_read(worker: Worker) -> float:
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"http://127.0.0.1:{worker.metrics_port}/metrics")).text
    found = re.search(r"^madoguchi_ocr_pages_total (\S+)$", text, re.M)
    assert found, "the worker exports madoguchi_ocr_pages_total"
    return float(found.group(1))


async def all_completed(bus: Bus, ids: list[str]) -> dict[str, Counter[str]]:
    assert bus.client is not None
    js = bus.client.jetstream()

    async def done() -> bool:
        counts = await subject_counts(js, "OCR", f"ocr.completed.{ORG}")
        return counts.get(f"ocr.completed.{ORG}", 0) >= len(ids)

    await eventually(done, timeout=60, every=0.2)
    return await outcomes(js, ORG)


async def acks_settled(js: JetStreamContext) -> ConsumerInfo:
    """The OCR consumer once no delivery awaits its ack: a worker acks after it publishes
    `ocr.completed`, so the event can be seen a moment before the ack reaches the server."""

    async def settled() -> ConsumerInfo | None:
        info = await js.consumer_info("DOCUMENTS", OCR_DURABLE)
        return info if info.num_ack_pending == 0 else None

    return await eventually(settled, timeout=10)


async def test_two_workers_share_the_work_and_each_document_is_read_once(
    bus: Bus, workers: list[Worker]
) -> None:
    first, second = await start_workers(bus, workers, 2)
    assert bus.client is not None
    js = bus.client.jetstream()
    ids = await submit_pages(js, bus.data_dir, ORG, 6)

    found = await all_completed(bus, ids)
    assert found["ocr.completed"] == dict.fromkeys(ids, 1)
    assert not found["ocr.failed"] and not found["document.rejected"]
    assert first.has_read() and second.has_read(), "both workers read scans"
    # Each worker serves its own metrics: together they read every page, each some.
    pages = [await pages_read(worker) for worker in (first, second)]
    assert sum(pages) == len(ids) and min(pages) >= 1, pages
    consumer = await acks_settled(js)
    assert consumer.delivered.consumer_seq == len(ids)  # each delivered once, to one worker
    assert consumer.num_ack_pending == 0 and consumer.num_pending == 0
    for worker in (first, second):
        assert await worker.stop() == 0


async def test_a_worker_killed_mid_document_loses_it_to_another_exactly_once(
    bus: Bus, workers: list[Worker]
) -> None:
    assert bus.client is not None
    js = bus.client.jetstream()
    await ocr_consumer_with_ack_wait(js, SHORT_ACK_WAIT)
    pair = await start_workers(bus, workers, 2)
    [document_id] = await submit_pages(js, bus.data_dir, ORG, 1)

    async def reader() -> Worker | None:
        return next((worker for worker in pair if worker.has_read()), None)

    victim = await eventually(reader, timeout=20, every=0.02)
    await victim.crash()  # mid-document: its OCR process had only just started
    unfinished = await records.get_status(js, ORG, document_id)
    assert unfinished is not None and unfinished.status == "queued"
    survivor = next(worker for worker in pair if worker is not victim)

    found = await all_completed(bus, [document_id])
    assert found["ocr.completed"] == {document_id: 1}
    assert not found["ocr.failed"] and not found["document.rejected"]
    assert survivor.has_read()
    status = await records.get_status(js, ORG, document_id)
    assert status is not None and status.status == "completed"
    consumer = await acks_settled(js)
    # Delivered twice (the second time after the ack wait), completed once.
    assert consumer.delivered.consumer_seq == 2
    assert consumer.num_ack_pending == 0
    assert (await js.stream_info("DEADLETTER")).state.messages == 0


async def test_restarting_the_server_mid_run_loses_nothing(bus: Bus, workers: list[Worker]) -> None:
    assert bus.client is not None
    await ocr_consumer_with_ack_wait(bus.client.jetstream(), SHORT_ACK_WAIT)
    await start_workers(bus, workers, 1)
    before = await submit_pages(bus.client.jetstream(), bus.data_dir, ORG, 4)

    client = bus.client

    async def some_done() -> bool:
        counts = await subject_counts(client.jetstream(), "OCR", f"ocr.completed.{ORG}")
        return counts.get(f"ocr.completed.{ORG}", 0) >= 1

    await eventually(some_done, timeout=30, every=0.1)
    await bus.client.close()
    await bus.restart()
    bus.client = await nats.connect(
        bus.url, user="operator", password=bus.server.passwords["operator"]
    )
    after = await submit_pages(bus.client.jetstream(), bus.data_dir, ORG, 4, seed=7)

    found = await all_completed(bus, before + after)
    assert found["ocr.completed"] == dict.fromkeys(before + after, 1)
    assert not found["ocr.failed"] and not found["document.rejected"]
    documents = await bus.client.jetstream().stream_info("DOCUMENTS")
    assert documents.state.messages == len(before + after)


async def handled_at_least(js: JetStreamContext, count: int) -> bool:
    consumer = await js.consumer_info("DOCUMENTS", "slow-test")
    return consumer.ack_floor.consumer_seq >= count


async def test_a_slow_consumer_leaves_the_backlog_in_the_stream_not_in_memory(bus: Bus) -> None:
    """Pull consumers fetch one message at a time: a backlog of 60 MB waits on the server while
    the slow process's memory stays where it was (a push consumer would buffer it all)."""
    assert bus.client is not None
    js = bus.client.jetstream()
    app = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.apps.slow_app",
        "--data",
        str(bus.data_dir),
        "--nats-url",
        bus.url,
        "--delay",
        "0.2",
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO,
    )
    try:
        assert app.stdout is not None
        assert await asyncio.wait_for(app.stdout.readline(), 60) == b"ready\n"
        padding = b"x" * 60_000  # headers may hold up to 64 kB
        for _ in range(5):  # warm up: the handler's first messages allocate what it needs
            await publish_padded(js, padding)
        await eventually(lambda: handled_at_least(js, 5), timeout=30)
        before = rss_bytes(app.pid)
        for _ in range(1000):
            await publish_padded(js, padding)
        await eventually(lambda: handled_at_least(js, 8), timeout=30)  # still pulling, slowly
        after = rss_bytes(app.pid)
        consumer = await js.consumer_info("DOCUMENTS", "slow-test")
        assert consumer.num_pending >= 900  # the backlog is in the stream ...
        assert consumer.num_ack_pending <= 1  # ... one message at a time in the process
        assert after - before < 15_000_000, (before, after)  # not the 60 MB it was sent
    finally:
        app.terminate()
        await app.wait()


async def publish_padded(js: JetStreamContext, padding: bytes) -> None:
    event = DocumentScanned(
        event_id=new_event_id(),
        org=ORG,
        document_id=new_event_id(),
        personal_info=False,
        content_type="image/png",
        size_bytes=len(padding),
        source="scanner",
    )
    await js.publish(
        f"document.scanned.{ORG}",
        event.model_dump_json().encode(),
        headers={"Nats-Msg-Id": event.event_id, "X-Test-Padding": padding.decode()},
    )
