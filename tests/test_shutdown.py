"""Ctrl-C with work in flight loses nothing: drained when it can, redelivered when it cannot."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from events.envelope import new_event_id
from schemas.events import DocumentScanned
from tests.conftest import NatsFixture
from tests.support import subject_counts


@pytest.fixture(scope="module")
def nats_server(own_bus: NatsFixture) -> NatsFixture:
    """The drain app's consumer starts at the stream's first event: on the shared bus it would
    wait on every scan earlier modules published. This module works on a bus of its own."""
    return own_bus


REPO = Path(__file__).resolve().parent.parent


class AppProcess:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []

    async def wait_for_line(self, wanted: str, timeout: float = 30.0) -> None:
        async def read() -> None:
            while wanted not in self.lines:
                assert self.process.stdout is not None
                raw = await self.process.stdout.readline()
                if not raw:
                    raise AssertionError(f"process ended before printing {wanted!r}: {self.lines}")
                self.lines.append(raw.decode().strip())

        await asyncio.wait_for(read(), timeout)

    async def interrupt(self, timeout: float = 30.0, *, already_sent: bool = False) -> int:
        if not already_sent:  # a second Ctrl-C would force the exit
            self.process.send_signal(signal.SIGINT)
        assert self.process.stdout is not None
        rest = await asyncio.wait_for(self.process.stdout.read(), timeout)
        self.lines += [line.strip() for line in rest.decode().splitlines()]
        return await asyncio.wait_for(self.process.wait(), timeout)


async def start_app(server: NatsFixture, graceful: float) -> AppProcess:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.apps.drain_app",
        "--data",
        str(server.data_dir),
        "--nats-url",
        server.url,
        "--graceful",
        str(graceful),
        stdout=asyncio.subprocess.PIPE,
        cwd=REPO,  # `tests` is a package of the repository, not of the installed project
    )
    app = AppProcess(process)
    await app.wait_for_line("ready")
    return app


@pytest.fixture
async def gate(js: JetStreamContext) -> AsyncIterator[object]:
    with contextlib.suppress(NotFoundError):
        await js.delete_key_value("test_gate")
    yield await js.create_key_value(bucket="test_gate")
    await js.delete_key_value("test_gate")


def scanned() -> DocumentScanned:
    return DocumentScanned(
        event_id=new_event_id(),
        org="org-drain",
        document_id=new_event_id(),
        personal_info=False,
        content_type="image/png",
        size_bytes=1,
        source="cli",
    )


async def publish(js: JetStreamContext, event: DocumentScanned) -> None:
    await js.publish(
        f"document.scanned.{event.org}",
        event.model_dump_json().encode(),
        headers={"Nats-Msg-Id": event.event_id},
    )


async def completed(js: JetStreamContext, document_id: str) -> int:
    counts = await subject_counts(js, "OCR", "ocr.completed.org-drain")
    bodies = counts.get("ocr.completed.org-drain", 0)
    if not bodies:
        return 0
    msgs = []
    sub = await js.subscribe("ocr.completed.org-drain", ordered_consumer=True)
    for _ in range(bodies):
        msgs.append((await sub.next_msg(timeout=5)).data)
    await sub.unsubscribe()
    return sum(1 for body in msgs if document_id.encode() in body)


async def test_in_flight_work_is_drained_before_exit(
    nats_server: NatsFixture, js: JetStreamContext, gate
) -> None:  # type: ignore[no-untyped-def]
    app = await start_app(nats_server, graceful=20)
    event = scanned()
    await publish(js, event)
    await app.wait_for_line(f"started {event.document_id}")
    app.process.send_signal(signal.SIGINT)
    await gate.put(event.document_id, b"open")  # the work finishes during the grace period
    assert await app.interrupt(already_sent=True) == 0
    assert f"finished {event.document_id}" in app.lines
    assert await completed(js, event.document_id) == 1
    consumer = await js.consumer_info("DOCUMENTS", "drain-test")
    assert consumer.num_ack_pending == 0 and consumer.num_pending == 0


async def test_unfinished_work_is_redelivered_and_finished_on_next_start(
    nats_server: NatsFixture, js: JetStreamContext, gate
) -> None:  # type: ignore[no-untyped-def]
    app = await start_app(nats_server, graceful=1)
    event = scanned()
    await publish(js, event)
    await app.wait_for_line(f"started {event.document_id}")
    assert await app.interrupt() == 0  # the gate stays shut: the grace period runs out
    assert f"finished {event.document_id}" not in app.lines
    assert await completed(js, event.document_id) == 0

    await gate.put(event.document_id, b"open")
    again = await start_app(nats_server, graceful=20)
    await again.wait_for_line(f"finished {event.document_id}")
    assert await again.interrupt() == 0
    assert await completed(js, event.document_id) == 1
    consumer = await js.consumer_info("DOCUMENTS", "drain-test")
    assert consumer.num_ack_pending == 0 and consumer.num_pending == 0
