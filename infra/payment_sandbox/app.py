"""A stand-in for the outside payment agent: its JSON API, its hosted pages, its webhooks.

It behaves like a real agent where our system could get it wrong: idempotency keys, signed
webhooks retried until acknowledged, state that survives a restart, a card that never
answers, and one whose failure notice turns out false (only reconciliation catches it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
from collections.abc import Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from infra.payment_sandbox.api import api_routes
from infra.payment_sandbox.books import Books, Refusal
from infra.payment_sandbox.pages import page_routes
from infra.payment_sandbox.webhooks import WebhookSender

log = logging.getLogger("madoguchi.payment_sandbox")

STOP_WAIT = 5.0  # seconds aclose waits for a delivery in flight


async def _refusal(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refusal)
    headers = {"Cache-Control": "no-store"}
    if exc.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse({"error": exc.code}, status_code=exc.status, headers=headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = "not_found" if exc.status_code == 404 else "invalid_request"
    return JSONResponse({"error": code}, status_code=exc.status_code)


class SandboxAgent:
    def __init__(
        self,
        *,
        secret: str,
        api_key: str,
        webhook_url: str,
        public_url: str,
        state_file: Path,
        retry_delays: Sequence[float] = (1, 2, 4, 8, 16, 32, 60),
        late_success_after: float = 5.0,
        webhook_ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("sandbox agent API key is empty")
        self._delays = tuple(float(delay) for delay in retry_delays)
        self._wake = asyncio.Event()
        self._stopped = asyncio.Event()
        self._running = False
        self._closing = False
        self._sender = WebhookSender(secret, webhook_url, webhook_ssl_context)
        self.books = Books(state_file, public_url, late_success_after, on_queued=self._wake.set)
        self.app = Starlette(
            routes=[*api_routes(self.books, api_key), *page_routes(self.books)],
            exception_handlers={Refusal: _refusal, HTTPException: _http_error},
        )

    async def _deliver_due(self) -> None:
        for message in self.books.due(time.time()):
            if self._closing:
                return
            if await self._sender.send(message):
                self.books.delivered(message.id)
            else:
                self.books.retry_later(message.id, self._delays)

    async def deliver_forever(self) -> None:
        """Deliver queued webhooks until aclose (or cancellation); the caller runs it as a task."""
        self._running = True
        self._stopped.clear()
        try:
            while not self._closing:
                # Cleared before looking, so a webhook queued meanwhile wakes the next wait.
                self._wake.clear()
                await self._deliver_due()
                wait = self.books.seconds_to_next(time.time())
                if wait is None or wait > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), wait)
        finally:
            self._running = False
            self._stopped.set()

    async def aclose(self) -> None:
        self._closing = True
        self._wake.set()
        if self._running:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), STOP_WAIT)
        await self._sender.aclose()
