"""The scanner PC's side of `scan.submit.<org>`: hand a file in with scanner credentials only.

The file is read one chunk at a time, from disk, as the service asks for it: the client never
holds more than one chunk. A reply lost to a timeout or a bus restart starts the upload again
from its first message; the service answers where it stands (or `accepted`, if it already
has the file), so a file is handed in once however often this is repeated.
"""

from __future__ import annotations

import asyncio
import hashlib
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import click
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import ConnectionReconnectingError
from nats.errors import Error as NatsError
from pydantic import ValidationError

from events.catalog import SCAN_SUBMIT
from infra.bus import connect_as
from schemas.scan_intake import MAX_CHUNK_BYTES, BusCredentials, ScanSubmitReply

REQUEST_TIMEOUT = 30.0  # one chunk, or the store of a whole file at the last one
PAUSE_AFTER_FAILURE = 1.0


class PermissionRefused(Exception):
    """The bus refused this client a subject (its credentials do not allow it)."""


class NoAnswer(Exception):
    """The service did not answer before the deadline."""


def load_credentials(path: Path) -> BusCredentials:
    try:
        return BusCredentials.model_validate_json(path.read_bytes())
    except (OSError, ValidationError) as exc:
        problem = type(exc).__name__ if isinstance(exc, OSError) else "not a credentials file"
        raise ValueError(f"{path.name}: {problem} (write it with `madoguchi creds`)") from None


def file_digest(path: Path) -> tuple[str, int]:
    """(hex SHA-256, size), read in blocks: the file is never whole in memory."""
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256")
        return digest.hexdigest(), handle.tell()


def read_at(handle: BinaryIO, offset: int, size: int) -> bytes:
    handle.seek(offset)
    return handle.read(size)


def submit_headers(
    sha256: str, size: int, offset: int, template_id: str | None, personal_info: bool
) -> dict[str, str]:
    headers = {
        "Scan-Sha256": sha256,
        "Scan-Size": str(size),
        "Scan-Offset": str(offset),
        "Scan-Personal-Info": "true" if personal_info else "false",
    }
    if template_id:
        headers["Scan-Template"] = template_id
    return headers


class ScannerBus:
    """A client acting as `scanner-<org>`, noticing the server's permission refusals (they
    arrive as asynchronous errors, not as the failed request's exception)."""

    def __init__(self) -> None:
        self.client: Client | None = None
        self.refusals: list[str] = []
        self.disconnects = 0
        self._news = asyncio.Event()  # a refusal or a disconnection

    async def connect(self, creds: BusCredentials, urls: Sequence[str]) -> ScannerBus:
        self.client = await connect_as(
            creds, urls, self._on_error, reconnect=True, disconnected_cb=self._on_disconnect
        )
        return self

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()

    async def _on_error(self, error: Exception) -> None:
        if "permissions violation" in str(error).lower():
            self.refusals.append(str(error))
            self._news.set()

    async def _on_disconnect(self) -> None:
        self.disconnects += 1
        self._news.set()

    def refused(self, subject: str) -> str | None:
        """The server's refusal naming `subject` (nats-py lowercases the message)."""
        quoted = f'"{subject.lower()}"'
        return next((r for r in self.refusals if quoted in r.lower()), None)

    async def request(
        self, subject: str, body: bytes, headers: dict[str, str], timeout: float
    ) -> Msg:
        """The reply; PermissionRefused as soon as the server refuses the subject; a
        ConnectionReconnectingError as soon as the connection drops (the reply is lost)."""
        assert self.client is not None
        if not self.client.is_connected:  # sent now, it would wait in a buffer unanswered
            raise ConnectionReconnectingError()
        disconnects = self.disconnects
        asking = asyncio.ensure_future(self.client.request(subject, body, timeout, headers=headers))
        try:
            while not asking.done():
                if (refusal := self.refused(subject)) is not None:
                    raise PermissionRefused(refusal)
                if self.disconnects != disconnects:
                    raise ConnectionReconnectingError()
                self._news.clear()
                waiting = asyncio.ensure_future(self._news.wait())
                await asyncio.wait({asking, waiting}, return_when=asyncio.FIRST_COMPLETED)
                waiting.cancel()
            return asking.result()
        finally:
            asking.cancel()


@dataclass(frozen=True)
class HandIn:
    org: str
    template_id: str | None = None
    personal_info: bool = False
    timeout: float = 600.0  # give up on the file (not on the service) after this long


async def hand_in(bus: ScannerBus, path: Path, options: HandIn) -> ScanSubmitReply:
    """Hand one file in; `accepted` or `rejected` (NoAnswer past the deadline)."""
    sha256, size = await asyncio.to_thread(file_digest, path)
    first = SCAN_SUBMIT.subject(options.org)
    deadline = time.monotonic() + options.timeout
    subject, offset, chunk = first, 0, MAX_CHUNK_BYTES
    with path.open("rb") as handle:
        while time.monotonic() < deadline:
            body = await asyncio.to_thread(read_at, handle, offset, chunk)
            template, personal = options.template_id, options.personal_info
            headers = submit_headers(sha256, size, offset, template, personal)
            wait = min(REQUEST_TIMEOUT, max(deadline - time.monotonic(), 0.1))
            try:
                answer = await bus.request(subject, body, headers, wait)
                reply = ScanSubmitReply.model_validate_json(answer.data)
            except (NatsError, TimeoutError, ValidationError):  # lost, or restarting: again
                await asyncio.sleep(PAUSE_AFTER_FAILURE)
                subject, offset, chunk = first, 0, MAX_CHUNK_BYTES
                continue
            if reply.status in ("accepted", "rejected"):
                return reply
            if reply.status == "continue" and reply.upload and reply.offset is not None:
                subject, offset = reply.upload, reply.offset
                chunk = reply.chunk_bytes or MAX_CHUNK_BYTES
                continue
            await asyncio.sleep(reply.retry_after or PAUSE_AFTER_FAILURE)
            subject, offset, chunk = first, 0, MAX_CHUNK_BYTES
    raise NoAnswer(f"no answer from the scan intake within {options.timeout:.0f}s")


def run_as_scanner(
    creds_file: Path,
    nats_url: str | None,
    work: Callable[[ScannerBus, BusCredentials], Awaitable[int]],
) -> None:
    """Connect with a credentials file (URL from --nats-url, else the file's), run `work`,
    exit with its code; every failure is one line naming what to do."""
    try:
        creds = load_credentials(creds_file)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None

    async def main() -> int:
        urls = (nats_url or creds.url).split(",")
        try:
            bus = await ScannerBus().connect(creds, urls)
        except ConnectionError as exc:
            raise click.ClickException(str(exc)) from None
        try:
            return await work(bus, creds)
        except PermissionRefused as exc:
            raise click.ClickException(f"the bus refused {creds.user}: {exc}") from None
        except NoAnswer as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            await bus.close()

    code = asyncio.run(main())
    if code:
        sys.exit(code)


def scanner_org(creds: BusCredentials, org: str | None) -> str:
    """--org if given (the bus decides whether it is allowed), else the credentials' own."""
    if org is not None:
        return org
    if creds.org is None:
        raise click.UsageError("these credentials name no organisation: add --org ORG")
    return creds.org
