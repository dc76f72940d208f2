"""Online applications end to end: residents' multipart POSTs through the web app (answers
checked, the attachment probed in an OCR worker, everything stored encrypted, the event
published), beside raw JetStream publishes on the same server in the same run."""

from __future__ import annotations

import asyncio
import io
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import nats
from PIL import Image

from handlers.app import ROOMS
from handlers.applications import records
from handlers.compose import ServeOptions, serve
from handlers.room import Room, Services, Wired
from infra.nats_server import EmbeddedNatsServer
from schemas.applications import Procedure, RegisteredProcedure
from schemas.settings import Settings
from tests.applications.flow import ANSWERS as TEST_ANSWERS
from tests.applications.flow import PROCEDURE as TEST_PROCEDURE

Line = Callable[[str, float, str, str, float], None]
APPLICATIONS = int(os.environ.get("BENCH_APPLICATIONS", "300"))
RESIDENTS = int(os.environ.get("BENCH_RESIDENTS", "8"))  # applications in flight at once
# The procedure and answers the application tests use: one definition of "a typical form".
PROCEDURE = Procedure.model_validate(TEST_PROCEDURE)
ANSWERS = json.dumps(TEST_ANSWERS, ensure_ascii=False)


def _photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 800), (200, 220, 240)).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


async def _raw_publish_rate(url: str, password: str) -> float:
    client = await nats.connect(url, user="operator", password=password)
    js = client.jetstream()
    started = time.perf_counter()
    for n in range(APPLICATIONS):
        await js.publish(
            "application.submitted.bench", b'{"n": %d}' % n, headers={"Nats-Msg-Id": f"raw-{n}"}
        )
    rate = APPLICATIONS / (time.perf_counter() - started)
    await client.close()
    return rate


def _web_only(room: Room) -> Room:
    """The room's web routes alone: no bus handlers, no background tasks."""

    def wire(services: Services) -> Wired:
        return Wired(routes=room.wire(services).routes)

    return Room(room.name, wire=wire)


async def application_rates(root: Path, nats_port: int, http_port: int) -> tuple[float, float]:
    server = EmbeddedNatsServer(root, nats_port)
    await server.start()
    stop, ready = asyncio.Event(), asyncio.Event()
    services_box: list[Services] = []

    async def on_ready(services: Services) -> None:
        services_box.append(services)
        ready.set()

    options = ServeOptions(
        data_dir=root, settings=Settings(), nats_urls=[server.url], http_port=http_port
    )
    running = asyncio.create_task(
        serve(options, [_web_only(room) for room in ROOMS], on_ready, stop)
    )
    await ready.wait()
    await records.save_procedure(
        services_box[0].js, RegisteredProcedure(org="bench", procedure=PROCEDURE)
    )
    photo = _photo()

    async def apply(client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/api/applications",
            data={"procedure": PROCEDURE.id, "answers": ANSWERS, "attachment_kinds": "passport"},
            files={"attachments": ("passport.jpg", photo, "image/jpeg")},
        )
        assert response.status_code == 201, response.text

    async def resident(client: httpx.AsyncClient, share: int) -> None:
        for _ in range(share):
            await apply(client)

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}", timeout=60) as client:
        await apply(client)  # warm-up: starts the OCR worker that probes attachments
        started = time.perf_counter()
        await asyncio.gather(
            *(resident(client, APPLICATIONS // RESIDENTS) for _ in range(RESIDENTS))
        )
        rate = RESIDENTS * (APPLICATIONS // RESIDENTS) / (time.perf_counter() - started)
    raw = await _raw_publish_rate(server.url, server.passwords["operator"])
    stop.set()
    await running
    await server.stop()
    return rate, raw


async def run(line: Line, root: Path, nats_port: int, http_port: int) -> None:
    rate, raw = await application_rates(root, nats_port, http_port)
    name = f"applications/s end to end (HTTP, {RESIDENTS} at once)"
    line(name, rate, "app/s", "raw publish/s (always)", raw)
