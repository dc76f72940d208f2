"""`make bench`, scale-out part: scanners handing in small pages to 1, then 2 worker processes.

- throughput: BENCH_LOAD_SCANNERS scanner clients (a connection each, as `madoguchi scan` on
  a scanner PC) hand in BENCH_LOAD_PAGES one-page scans (three typed lines, A4 at 300 dpi) as
  fast as they can; `madoguchi worker --only ocr` processes, one OCR process each, read them.
  pages/s and events/s (`document.scanned` and `ocr.completed` stored) from the first hand-in
  to the last result; 2 workers ÷ 1 worker.
- latency beyond OCR: for each page, the time from its `document.scanned` being acknowledged to
  its `ocr.completed` being heard, less the worker's own read time (`read_scan`, timed inside
  the worker: see `worker_main`): queueing, bus hops, KV and store writes, encryption. Measured
  with as many scanners as workers, each handing in one page and waiting for it, so that no page
  waits for a busy worker; p50 and p99 over BENCH_LOAD_LATENCY_PAGES pages, beside the read time.

Both workers share the machine's cores with the server and the scanners: on a two-core machine
the ratio says how much a second worker adds there, not what a second machine would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path
from typing import Any

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg

from handlers.ocr.pipeline import limits_from
from handlers.ocr.submit import submit_scan
from infra.nats_server import EmbeddedNatsServer
from infra.pi_store import open_pi_store
from infra.provisioning import provision_all
from schemas.settings import Settings
from tests.conftest import free_port
from tests.processes import REPO, small_page

SCANNERS = int(os.environ.get("BENCH_LOAD_SCANNERS", "4"))
PAGES = int(os.environ.get("BENCH_LOAD_PAGES", "40"))
LATENCY_PAGES = int(os.environ.get("BENCH_LOAD_LATENCY_PAGES", "30"))
ORG = "bench-load"
READ_PREFIX = "madoguchi-bench read "
SEEDS = (1, 2, 3)  # three different pages, made before timing starts

LineFn = Callable[[str, float, str, str, float], None]


@dataclass
class Run:
    workers: int
    pages_per_second: float = 0.0
    events_per_second: float = 0.0
    overheads: list[float] = field(default_factory=list)  # seconds beyond the read, per page
    reads: list[float] = field(default_factory=list)  # the workers' read seconds, per page


class Listener:
    """Hears every `ocr.completed` of the bench org: when, per document."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.heard: dict[str, float] = {}
        self.waiting: dict[str, asyncio.Event] = {}

    async def start(self) -> None:
        await self.client.subscribe(f"ocr.completed.{ORG}", cb=self._heard)

    async def _heard(self, msg: Msg) -> None:
        document_id = json.loads(msg.data)["document_id"]
        self.heard.setdefault(document_id, time.perf_counter())
        if document_id in self.waiting:
            self.waiting[document_id].set()

    async def wait_for(self, document_id: str) -> float:
        if document_id not in self.heard:
            event = self.waiting.setdefault(document_id, asyncio.Event())
            await asyncio.wait_for(event.wait(), timeout=300)
        return self.heard[document_id]


class WorkerProcess:
    """`madoguchi worker --only ocr` with its read time printed per document (`worker_main`)."""

    def __init__(self, data_dir: Path, url: str, config: Path) -> None:
        self.args = [
            "-m",
            "bench.load",
            "--data",
            str(data_dir),
            "--config",
            str(config),
            "worker",
            "--nats-url",
            url,
            "--only",
            "ocr",
        ]
        self.reads: dict[str, float] = {}
        self.process: asyncio.subprocess.Process | None = None
        self.reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            *self.args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            cwd=REPO,
        )
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), 120)
        if not line.startswith(b"worker running"):
            raise RuntimeError(f"the worker did not start: {line!r}")
        self.reader = asyncio.create_task(self._read_lines())

    async def _read_lines(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        async for raw in self.process.stdout:
            text = raw.decode().strip()
            if text.startswith(READ_PREFIX):
                document_id, seconds = text.removeprefix(READ_PREFIX).split()
                self.reads[document_id] = float(seconds)

    async def stop(self) -> None:
        if self.process is None:
            return
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
        await asyncio.wait_for(self.process.wait(), 60)
        if self.reader is not None:
            await self.reader


async def hand_in(client: Client, data_dir: Path, count: int, seed: int) -> list[tuple[str, float]]:
    """One scanner: `count` pages, one after another; (document id, acknowledged at) each."""
    js = client.jetstream()
    store = open_pi_store(js, data_dir)
    limits = limits_from(Settings().ocr)
    handed: list[tuple[str, float]] = []
    for n in range(count):
        submitted = await submit_scan(
            js,
            store,
            org=ORG,
            data=small_page(1 + (seed + n) % len(SEEDS)),
            template_id=None,
            personal_info=False,
            source="scanner",
            limits=limits,
        )
        handed.append((submitted.document_id, time.perf_counter()))
    return handed


async def stored_events(client: Client) -> int:
    js = client.jetstream()
    return sum([(await js.stream_info(name)).state.messages for name in ("DOCUMENTS", "OCR")])


async def measure(
    server: EmbeddedNatsServer, data_dir: Path, config: Path, worker_count: int
) -> Run:
    password = server.passwords["operator"]

    async def connect() -> Client:
        return await nats.connect(server.url, user="operator", password=password)

    scanners = [await connect() for _ in range(SCANNERS)]
    listener = Listener(await connect())
    await listener.start()
    workers = [WorkerProcess(data_dir, server.url, config) for _ in range(worker_count)]
    run = Run(worker_count)
    try:
        await asyncio.gather(*(worker.start() for worker in workers))
        # Warm-up: each worker starts its OCR process on its first page (both take one: a busy
        # worker does not fetch).
        warm_up = await hand_in(scanners[0], data_dir, worker_count, 0)
        for document_id, _ in warm_up:
            await listener.wait_for(document_id)
        # Throughput: every scanner hands in its share at once.
        events_before = await stored_events(listener.client)
        started = time.perf_counter()
        shares = [PAGES // SCANNERS + (n < PAGES % SCANNERS) for n in range(SCANNERS)]
        batches = await asyncio.gather(
            *(hand_in(scanners[n], data_dir, share, n) for n, share in enumerate(shares))
        )
        finished = [await listener.wait_for(doc) for batch in batches for doc, _ in batch]
        elapsed = max(finished) - started
        run.pages_per_second = PAGES / elapsed
        events = await stored_events(listener.client) - events_before
        run.events_per_second = events / elapsed

        # Latency: as many scanners as workers, one page at a time each.
        async def one_at_a_time(client: Client, count: int, seed: int) -> list[tuple[str, float]]:
            timings = []
            for n in range(count):
                [(document_id, handed_at)] = await hand_in(client, data_dir, 1, seed + n)
                timings.append((document_id, await listener.wait_for(document_id) - handed_at))
            return timings

        per_scanner = LATENCY_PAGES // worker_count
        timed = await asyncio.gather(
            *(one_at_a_time(scanners[n], per_scanner, n) for n in range(worker_count))
        )
    finally:
        for worker in workers:
            await worker.stop()
        for client in [*scanners, listener.client]:
            await client.close()
    reads = {doc: seconds for worker in workers for doc, seconds in worker.reads.items()}
    for document_id, end_to_end in (pair for timings in timed for pair in timings):
        run.reads.append(reads[document_id])
        run.overheads.append(end_to_end - reads[document_id])
    return run


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


async def run(line: LineFn) -> None:
    print(
        f"load: {SCANNERS} scanners, {PAGES} one-page scans per run, {LATENCY_PAGES} for latency;"
        f" workers with one OCR process each; {os.cpu_count()} cores"
    )
    for seed in SEEDS:
        small_page(seed)
    with tempfile.TemporaryDirectory() as tmp:
        one, two = await _runs(Path(tmp))
    pages, events = "load: pages/s, 2 workers", "load: events/s, 2 workers"
    line(pages, two.pages_per_second, "pages/s", "1 worker", one.pages_per_second)
    line(events, two.events_per_second, "ev/s", "1 worker", one.events_per_second)
    for result in (one, two):
        workers = f"{result.workers} worker{'s' if result.workers > 1 else ''}"
        for p in (50, 99):
            line(
                f"load: p{p} latency beyond OCR, {workers}",
                percentile(result.overheads, p) * 1000,
                "ms",
                f"OCR read p{p}, {workers}",
                percentile(result.reads, p) * 1000,
            )


async def _runs(root: Path) -> tuple[Run, Run]:
    data_dir = root / "data"
    config = root / "worker.toml"
    config.write_text("[ocr]\nworkers = 1\n")
    server = EmbeddedNatsServer(data_dir, free_port())
    await server.start()
    try:
        client = await nats.connect(
            server.url, user="operator", password=server.passwords["operator"]
        )
        await provision_all(client.jetstream(), Settings().retention)
        open_pi_store(client.jetstream(), data_dir)  # the key ring, before any worker starts
        await client.close()
        return await measure(server, data_dir, config, 1), await measure(
            server, data_dir, config, 2
        )
    finally:
        await server.stop()


def timed_reads(read: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """`read_scan`, printing how long each document's read took (runs in the worker)."""

    @wraps(read)
    async def timed(engine: Any, document_id: str, *args: Any) -> Any:
        started = time.perf_counter()
        try:
            return await read(engine, document_id, *args)
        finally:
            print(f"{READ_PREFIX}{document_id} {time.perf_counter() - started:.6f}", flush=True)

    return timed


def worker_main() -> None:
    """`python -m bench.load --data DIR worker ...`: the real `madoguchi` command line, its OCR
    room's `read_scan` timed. Runs in the worker process, not in the bench."""
    from handlers.app import main
    from handlers.ocr import bus

    bus.read_scan = timed_reads(bus.read_scan)  # type: ignore[assignment]
    with contextlib.suppress(KeyboardInterrupt):
        main()


if __name__ == "__main__":
    worker_main()
