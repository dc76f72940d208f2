"""Helpers for tests: waiting on conditions with a deadline, reading streams."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from nats.aio.msg import Msg
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


async def read_all(js: JetStreamContext, subject: str, timeout: float = 10.0) -> list[bytes]:
    """Every message stored on `subject` now, oldest first: as many as the server counts on
    it, read up to the stream's last sequence; a read that stalls fails (TimeoutError)
    instead of passing as "nothing there"."""
    stream = await js.find_stream_name_by_subject(subject)
    info = await js.stream_info(stream, subjects_filter=subject)
    expected = sum((info.state.subjects or {}).values())
    found = await _read(js, subject, stream, expected, info.state.last_seq, timeout)
    return [msg.data for msg in found]


async def read_stream(js: JetStreamContext, stream: str, timeout: float = 10.0) -> list[bytes]:
    """Every message stored in `stream` now (subject, headers and data), whatever its subject,
    as many as the server counts, up to its last sequence."""
    info = await js.stream_info(stream)
    found = await _read(js, ">", stream, info.state.messages, info.state.last_seq, timeout)
    return [msg.subject.encode() + repr(msg.headers).encode() + msg.data for msg in found]


async def _read(
    js: JetStreamContext, subject: str, stream: str, expected: int, last_seq: int, timeout: float
) -> list[Msg]:
    """`expected` messages of `stream` on `subject`, none past `last_seq` (an ordered
    consumer); fewer within `timeout` of each other is a failed read, not an answer."""
    found: list[Msg] = []
    if not expected:
        return found
    sub = await js.subscribe(
        subject, stream=stream, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL
    )
    try:
        while len(found) < expected:
            found.append(await sub.next_msg(timeout=timeout))
    finally:
        await sub.unsubscribe()
    assert found[-1].metadata.sequence.stream <= last_seq, "read past the stream's last message"
    return found


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
