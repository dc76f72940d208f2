"""`make bench`: each figure beside a baseline measured in the same run, and their ratio.

- durability: JetStream publish rate with `sync_interval: always` (our nats.conf) ÷ the same
  server with the default two-minute flush, so the price of not losing acknowledged writes is
  visible.
- pipeline: events/s through a real handler (durable pull consumer, reliability middleware,
  publish of the caused event) ÷ raw JetStream publish rate.
- start-up: `madoguchi up` until /healthz answers 200, beside a bare nats-server start.
- scan intake: 1 MB scans handed in over `scan.submit.<org>` with scanner credentials, beside
  nats-py object store puts of the same files (`bench/scan_intake.py`).
- handwriting: the cell model and marks on held-out handwriting (`bench/handwriting.py`).
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path

import httpx
import nats
from faststream import Context
from faststream.nats import NatsRouter

from bench import applications, handwriting, load, ocr, privacy, scan_intake
from events.catalog import event_spec
from events.envelope import new_event_id, publish_event
from infra.bus import durable_subscriber, make_broker
from infra.nats_server import NATS_CONF, EmbeddedNatsServer
from infra.provisioning import provision_all
from infra.reliability import RetryPolicy
from schemas.events import DocumentScanned
from schemas.settings import Settings
from tests.support import completed_for

PUBLISHES = int(os.environ.get("BENCH_PUBLISHES", "2000"))
PIPELINE_EVENTS = int(os.environ.get("BENCH_PIPELINE_EVENTS", "1000"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def started_server(root: Path, base_conf: Path = NATS_CONF) -> EmbeddedNatsServer:
    server = EmbeddedNatsServer(root, free_port(), base_conf=base_conf)
    await server.start()
    return server


def scanned(n: int) -> DocumentScanned:
    return DocumentScanned(
        event_id=new_event_id(),
        org="bench",
        document_id=f"doc-{n}",
        personal_info=False,
        content_type="application/pdf",
        size_bytes=1000,
        source="cli",
    )


async def publish_rate(server: EmbeddedNatsServer) -> float:
    nc = await nats.connect(server.url, user="operator", password=server.passwords["operator"])
    js = nc.jetstream()
    await provision_all(js, Settings().retention)
    bodies = [scanned(n).model_dump_json().encode() for n in range(PUBLISHES)]
    started = time.perf_counter()
    for n, body in enumerate(bodies):
        await js.publish("document.scanned.bench", body, headers={"Nats-Msg-Id": f"raw-{n}"})
    elapsed = time.perf_counter() - started
    await nc.close()
    return PUBLISHES / elapsed


async def pipeline_rate(server: EmbeddedNatsServer) -> float:
    broker = make_broker(
        [server.url], server.passwords["operator"], RetryPolicy((1.0,), 30.0), name="bench"
    )
    router = NatsRouter()
    done = asyncio.Event()
    handled = 0

    @durable_subscriber(router, event_spec(DocumentScanned), "bench-pipeline")
    async def handle(doc: DocumentScanned, runtime: object = Context("broker")) -> None:
        nonlocal handled
        effect = completed_for(doc)
        await publish_event(broker, effect)
        handled += 1
        if handled == PIPELINE_EVENTS:
            done.set()

    broker.include_router(router)
    await broker.connect()
    js = broker.connection.jetstream()
    await provision_all(js, Settings().retention)
    await js.purge_stream("DOCUMENTS")
    for n in range(PIPELINE_EVENTS):
        event = scanned(n)
        await js.publish(
            "document.scanned.bench",
            event.model_dump_json().encode(),
            headers={"Nats-Msg-Id": event.event_id},
        )
    started = time.perf_counter()
    await broker.start()
    await asyncio.wait_for(done.wait(), timeout=600)
    elapsed = time.perf_counter() - started
    await broker.stop()
    return PIPELINE_EVENTS / elapsed


async def server_start_seconds(root: Path) -> float:
    started = time.perf_counter()
    server = await started_server(root)
    elapsed = time.perf_counter() - started
    await server.stop()
    return elapsed


async def up_healthy_seconds(root: Path) -> float:
    http_port = free_port()
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "handlers",
        "--data",
        str(root),
        "up",
        "--nats-port",
        str(free_port()),
        "--http-port",
        str(http_port),
        "--agent-port",
        str(free_port()),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient() as http:
            while True:
                try:
                    response = await http.get(f"http://127.0.0.1:{http_port}/healthz")
                    if response.status_code == 200:
                        return time.perf_counter() - started
                except httpx.TransportError:
                    pass
                if process.returncode is not None or time.perf_counter() - started > 120:
                    raise RuntimeError("madoguchi up did not become healthy")
                await asyncio.sleep(0.05)
    finally:
        process.send_signal(signal.SIGINT)
        await process.wait()


def line(name: str, value: float, unit: str, base_name: str, base: float) -> None:
    print(
        f"{name:<44} {value:>10.1f} {unit:<8} {base_name:<34} {base:>10.1f}"
        f"  ratio {value / base:.3f}"
    )


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        lazy_conf = root / "nats-default-sync.conf"
        lazy_conf.write_text(
            re.sub(r"^\s*sync_interval:.*$", "", NATS_CONF.read_text(), flags=re.M)
        )
        print(
            f"madoguchi bench: {PUBLISHES} publishes, {PIPELINE_EVENTS} pipeline events, "
            f"{os.cpu_count()} cores"
        )
        always = await started_server(root / "always")
        default = await started_server(root / "default", lazy_conf)
        try:
            rate_always = await publish_rate(always)
            rate_default = await publish_rate(default)
            line(
                "publish/s, sync_interval: always",
                rate_always,
                "msg/s",
                "default 2 min flush",
                rate_default,
            )
            pipeline = await pipeline_rate(always)
            line(
                "pipeline events/s (consume+publish+ack)",
                pipeline,
                "ev/s",
                "raw publish/s (always)",
                rate_always,
            )
        finally:
            await always.stop()
            await default.stop()
        bare = await server_start_seconds(root / "bare")
        healthy = await up_healthy_seconds(root / "up")
        line("madoguchi up -> /healthz 200", healthy, "s", "bare nats-server ready", bare)
        await privacy.run(line, root / "privacy", free_port())
        await applications.run(line, root / "applications", free_port(), free_port())
        await scan_intake.run(line, root / "scan_intake", free_port())
    await ocr.run(line)
    await handwriting.run()
    await load.run(line)


if __name__ == "__main__":
    asyncio.run(main())
