"""Helpers for tests: waiting on conditions with a deadline, reading streams."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy

from events.envelope import caused_id
from schemas.events import DocumentScanned, OcrCompleted

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T | None]], timeout: float = 10.0, every: float = 0.05
) -> T:
    """Poll `probe` until it returns a truthy value; fail with a clear message at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(every)


async def subject_counts(js: JetStreamContext, stream: str, subject: str = ">") -> dict[str, int]:
    info = await js.stream_info(stream, subjects_filter=subject)
    return dict(info.state.subjects or {})


async def read_all(js: JetStreamContext, subject: str, idle: float = 0.5) -> list[bytes]:
    """Every message currently stored on `subject`, oldest first (an ordered consumer)."""
    sub = await js.subscribe(subject, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL)
    bodies: list[bytes] = []
    try:
        while True:
            try:
                msg = await sub.next_msg(timeout=idle)
            except TimeoutError:
                return bodies
            bodies.append(msg.data)
    finally:
        await sub.unsubscribe()


async def read_stream(js: JetStreamContext, stream: str, idle: float = 0.3) -> list[bytes]:
    """Every message stored in `stream` (data and headers), whatever its subject."""
    sub = await js.subscribe(
        ">", stream=stream, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL
    )
    found: list[bytes] = []
    try:
        while True:
            try:
                msg = await sub.next_msg(timeout=idle)
            except TimeoutError:
                return found
            found.append(msg.subject.encode() + repr(msg.headers).encode() + msg.data)
    finally:
        await sub.unsubscribe()


async def madoguchi(
    data_dir: Path, *args: str, stdin: str = "", timeout: float = 300
) -> tuple[int, str, str]:
    """Run the `madoguchi` command as an operator would: (exit code, stdout, stderr)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "handlers",
        "--data",
        str(data_dir),
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), timeout=timeout)
    return process.returncode or 0, out.decode("utf-8"), err.decode("utf-8")


def completed_for(doc: DocumentScanned) -> OcrCompleted:
    """The `ocr.completed` a stand-in handler publishes for `doc` (the same id every time)."""
    return OcrCompleted(
        event_id=caused_id(doc.event_id, "ocr.completed"),
        org=doc.org,
        document_id=doc.document_id,
        pages=1,
        fields=0,
        fields_needing_review=0,
        mean_confidence=99.0,
    )
