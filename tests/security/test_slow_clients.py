"""Finding 11 against a real `madoguchi up` process with short `[web]` timeouts: a client that
sends its headers or its body too slowly loses its connection instead of holding it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.test_up import MADOGUCHI, Up

CONFIG = '[web]\nheader_timeout = "1s"\nbody_timeout = "1s"\n'


class UpWithConfig(Up):
    async def start(self) -> str:
        config = self.data / "settings.toml"
        config.write_text(CONFIG)
        self.process = await asyncio.create_subprocess_exec(
            *MADOGUCHI,
            "--data",
            str(self.data),
            "--config",
            str(config),
            "up",
            "--nats-port",
            str(self.nats_port),
            "--http-port",
            str(self.http_port),
            "--agent-port",
            str(free_port()),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        assert self.process.stdout is not None
        while True:
            line = await asyncio.wait_for(self.process.stdout.readline(), timeout=90)
            assert line, "madoguchi up exited"
            if b"Ctrl-C" in line:
                return ""


@pytest.fixture(scope="module")
async def up(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Up]:
    server = UpWithConfig(Path(tmp_path_factory.mktemp("slow")))
    await server.start()
    yield server
    assert await server.stop() == 0


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """What the server sent before closing the connection (fails if it stays open)."""
    return await asyncio.wait_for(reader.read(), timeout=seconds)


async def test_headers_sent_a_byte_at_a_time_lose_the_connection(up: Up) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", up.http_port)
    head = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: "
    writer.write(head)
    trickle = asyncio.ensure_future(_trickle(writer, b"a" * 100, every=0.3))
    try:
        answer = await closed_within(reader, 10)  # 30 s of trickling left when it closes
    finally:
        trickle.cancel()
        writer.close()
    assert answer == b""  # closed without an answer: the request never started


async def test_a_trickled_body_is_cut_off(up: Up) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", up.http_port)
    writer.write(
        b"POST /api/session HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n{"
    )
    trickle = asyncio.ensure_future(_trickle(writer, b" " * 100, every=0.3))
    try:
        answer = await closed_within(reader, 10)
    finally:
        trickle.cancel()
        writer.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:80]


async def _trickle(writer: asyncio.StreamWriter, data: bytes, every: float) -> None:
    with contextlib.suppress(ConnectionError):
        for byte in data:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(every)
