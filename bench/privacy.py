"""Privacy costs: envelope encryption (ms per MB, beside SHA-256 of the same bytes) and the
audit chain (events/s chained, beside raw JetStream publishes in the same run)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

import nats

from events.catalog import AUDIT
from handlers.audit.bus import router as audit_router
from handlers.compose import ServeOptions, serve
from handlers.room import Room, Services
from infra.crypto import KeyRing, seal, wrap
from infra.nats_server import EmbeddedNatsServer
from schemas.settings import Settings

Line = Callable[[str, float, str, str, float], None]
MEGABYTES = int(os.environ.get("BENCH_CRYPTO_MB", "64"))
AUDIT_EVENTS = int(os.environ.get("BENCH_AUDIT_EVENTS", "500"))


def encryption_ms_per_mb(root: Path) -> tuple[float, float]:
    ring = KeyRing.load(root / "keys", env={})
    block = os.urandom(1024 * 1024)
    started = time.perf_counter()
    for n in range(MEGABYTES):
        key, _ = seal(block, f"data/scan/{n}".encode())
        wrap(ring, key, f"key/scan/{n}".encode())
    sealed = (time.perf_counter() - started) * 1000 / MEGABYTES
    started = time.perf_counter()
    for _ in range(MEGABYTES):
        hashlib.sha256(block).digest()
    hashed = (time.perf_counter() - started) * 1000 / MEGABYTES
    return sealed, hashed


async def audit_rates(root: Path, port: int) -> tuple[float, float]:
    """(events/s published and chained, raw events/s published) on one server."""
    server = EmbeddedNatsServer(root, port)
    await server.start()
    client = await nats.connect(server.url, user="operator", password=server.passwords["operator"])
    js = client.jetstream()
    stop, ready = asyncio.Event(), asyncio.Event()

    async def on_ready(services: Services) -> None:
        ready.set()

    options = ServeOptions(
        data_dir=root, settings=Settings(), nats_urls=[server.url], http_port=None
    )
    running = asyncio.create_task(serve(options, [], on_ready=on_ready, stop=stop))
    await ready.wait()
    started = time.perf_counter()
    for n in range(AUDIT_EVENTS):
        await js.publish(
            "payment.settled.bench", b'{"n": %d}' % n, headers={"Nats-Msg-Id": f"raw-{n}"}
        )
    raw = AUDIT_EVENTS / (time.perf_counter() - started)
    stop.set()
    await running
    # Now the chain writer alone works through the backlog: its rate is the chain's.
    stop, ready = asyncio.Event(), asyncio.Event()
    started = time.perf_counter()
    running = asyncio.create_task(
        serve(options, [Room("audit", routers=[audit_router])], on_ready=on_ready, stop=stop)
    )
    while (await js.stream_info(AUDIT.name)).state.messages < AUDIT_EVENTS:  # noqa: ASYNC110
        await asyncio.sleep(0.05)  # polling the server: there is no event to wait on
    chained = AUDIT_EVENTS / (time.perf_counter() - started)
    stop.set()
    await running
    await client.close()
    await server.stop()
    return chained, raw


async def run(line: Line, root: Path, port: int) -> None:
    sealed, hashed = encryption_ms_per_mb(root)
    line("encrypt (AES-256-GCM + wrap) ms/MB", sealed, "ms/MB", "SHA-256 of the same bytes", hashed)
    chained, raw = await audit_rates(root / "audit", port)
    line("audit chain events/s (one writer)", chained, "ev/s", "raw publish/s (always)", raw)
