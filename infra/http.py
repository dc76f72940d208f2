"""Every web room reads requests through here: bodies bounded while they stream, parsed into
clear 400s, and the headers every response carries.

A body is refused with 413 before a byte of it is read when its declared length is over the
route's cap, and as soon as the bytes streamed pass the cap otherwise (chunked uploads). Form
uploads stay in memory (never in a temporary file: they may hold personal data) and never grow
past the cap. Callers authorize before they read, so an anonymous caller costs nothing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, MutableHeaders
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ApiError(Exception):
    """An error the API answers with: `{"error": code, "detail": message}` and a status."""

    def __init__(self, status: int, code: str, detail: object = None) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.detail = detail


KB = 1024
MB = 1024 * KB
JSON_CAP = 64 * KB  # a JSON call's body: sign-in, corrections, reviews, refunds
FORM_CAP = 16 * KB  # a form of a few fields (the portal's status and pay forms)
DEFINITION_CAP = MB  # a template or procedure definition (JSON)
WEBHOOK_CAP = 64 * KB  # the payment agent's notifications
# Big bodies (uploads) read at once, process-wide: each may hold up to its cap in memory.
BIG_BODY = MB
BIG_READS = asyncio.Semaphore(4)
BIG_READ_WAIT = 30.0

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # The staff pages still carry inline scripts, so no script-src yet; framing, plugins and a
    # foreign <base> are refused everywhere.
    "Content-Security-Policy": "frame-ancestors 'none'; object-src 'none'; base-uri 'none'",
}

M = TypeVar("M", bound=BaseModel)
BUSY_MESSAGE = "混み合っています。しばらくしてからお試しください。"
# Another write came between this call's read and its write (RecordChanged): look again.
CONFLICT = ApiError(409, "conflict", "他の操作と重なりました。画面を読み込み直してください。")


def too_large(cap: int) -> ApiError:
    size = f"{cap // MB} MB" if cap >= MB else f"{cap // KB} KB"
    return ApiError(413, "too_large", f"送信された内容が大きすぎます（{size} まで）。")


def declared_length(request: Request) -> int | None:
    value = request.headers.get("content-length")
    if value is None:
        return None
    if not value.isdigit():
        raise ApiError(400, "invalid_request", "Content-Length が正しくありません。")
    return int(value)


def refuse_declared_over(request: Request, cap: int) -> None:
    """413 at once, body unread, when the declared length is over `cap`."""
    length = declared_length(request)
    if length is not None and length > cap:
        raise too_large(cap)


async def capped_stream(request: Request, cap: int) -> AsyncGenerator[bytes, None]:
    """The body's chunks as they arrive; 413 as soon as they pass `cap`."""
    refuse_declared_over(request, cap)
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > cap:
            raise too_large(cap)
        yield chunk


async def read_bytes(request: Request, cap: int) -> bytes:
    body = bytearray()
    async for chunk in capped_stream(request, cap):
        body += chunk
    return bytes(body)


def require_json(request: Request) -> None:
    """JSON calls are JSON: a form or `text/plain` (what a foreign page can send without
    asking) is refused, which also closes cross-site sign-in (login CSRF)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise ApiError(415, "json_required", "Content-Type: application/json で送ってください。")


def parse_json(data: bytes) -> object:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):  # RecursionError: "[[[[…" nested past the stack
        raise ApiError(400, "invalid_json", "JSON で送ってください。") from None


async def read_json(request: Request, cap: int = JSON_CAP, *, empty: object = None) -> object:
    """The JSON body; `empty` when there is none and that is allowed (else 400)."""
    data = await read_bytes(request, cap)
    if not data.strip() and empty is not None:
        return empty
    require_json(request)
    return parse_json(data)


async def read_object(request: Request, cap: int = JSON_CAP) -> dict[str, Any]:
    """A JSON object body (an empty body is `{}`)."""
    body = await read_json(request, cap, empty={})
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "JSON オブジェクトで送ってください。")
    return body


def field_names(exc: ValidationError) -> list[str]:
    return [".".join(map(str, e["loc"])) for e in exc.errors(include_input=False)]


async def read_model(request: Request, model: type[M], cap: int = JSON_CAP) -> M:
    """The body as `model`; 400 naming the fields that are wrong."""
    data = await read_bytes(request, cap)
    require_json(request)
    parse_json(data)  # depth and syntax first, with the same answer as every JSON call
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        raise ApiError(400, "invalid_request", {"fields": field_names(exc)}) from None


class _InMemoryMultiPart(MultiPartParser):
    """Starlette's parser with its files kept in memory: the stream is capped, so they stay
    small; the class attribute is set on this subclass only, never process-wide."""

    spool_max_size = 1 << 62


@asynccontextmanager
async def read_form(
    request: Request,
    cap: int = FORM_CAP,
    *,
    max_files: int = 0,
    max_fields: int = 20,
    max_part_size: int = 64 * KB,
) -> AsyncIterator[FormData]:
    """The form (urlencoded or multipart) of at most `cap` bytes; files stay in memory."""
    refuse_declared_over(request, cap)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if cap <= BIG_BODY:
        form = await _parse_form(request, cap, kind, max_files, max_fields, max_part_size)
    else:
        try:
            await asyncio.wait_for(BIG_READS.acquire(), BIG_READ_WAIT)
        except TimeoutError:
            raise BUSY from None
        try:
            form = await _parse_form(request, cap, kind, max_files, max_fields, max_part_size)
        finally:
            BIG_READS.release()
    try:
        yield form
    finally:
        await form.close()


async def _parse_form(
    request: Request, cap: int, kind: str, max_files: int, max_fields: int, max_part_size: int
) -> FormData:
    stream = capped_stream(request, cap)
    try:
        if kind == "multipart/form-data":
            parser = _InMemoryMultiPart(
                request.headers,
                stream,
                max_files=max_files,
                max_fields=max_fields,
                max_part_size=max_part_size,
            )
            return await parser.parse()
        if kind == "application/x-www-form-urlencoded":
            return await FormParser(
                request.headers, stream, max_fields=max_fields, max_part_size=max_part_size
            ).parse()
    except MultiPartException as exc:
        raise ApiError(400, "invalid_form", str(exc)) from None
    raise ApiError(415, "form_required", "フォーム（multipart/form-data）で送ってください。")


BUSY = ApiError(503, "busy", BUSY_MESSAGE)
MIN_RATE = 16 * KB  # bytes per second a body must average, after its first seconds
TOO_SLOW = ApiError(408, "too_slow", "送信が遅すぎるため、受付を中止しました。")


class SlowBodies:
    """Pure ASGI middleware: a request body must keep coming. A pause longer than `idle`, or
    an average under `MIN_RATE` once the first `2 * idle` seconds are over, ends the request
    with 408 (a body sent a byte at a time would hold a connection for ever), and closes it."""

    def __init__(self, app: ASGIApp, idle: float) -> None:
        self.app = app
        self.idle = idle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        started = loop.time()
        received = 0
        complete = False

        async def timed_receive() -> Message:
            nonlocal received, complete
            if complete:  # after the body, receive() waits for a disconnect (live streams)
                return await receive()
            allowed = 2 * self.idle + received / MIN_RATE - (loop.time() - started)
            try:
                message = await asyncio.wait_for(receive(), max(min(self.idle, allowed), 0.001))
            except TimeoutError:
                raise TOO_SLOW from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                complete = not message.get("more_body", False)
            return message

        async def closing_send(message: Message) -> None:
            # A body too slow to wait for would keep the connection: the answer closes it. (A
            # body too large is left to uvicorn, which reads no more of it than its flow-control
            # window once the answer is sent; closing at once would reset the answer itself.)
            if message["type"] == "http.response.start" and message["status"] == 408:
                MutableHeaders(scope=message)["Connection"] = "close"
            await send(message)

        await self.app(scope, timed_receive, closing_send)


class SecurityHeaders:
    """Pure ASGI middleware: every response gets `SECURITY_HEADERS`, and `no-store` unless it
    says how it may be cached (static files do)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if "cache-control" not in headers and not _static(scope):
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


def _static(scope: Scope) -> bool:
    return str(scope.get("path", "")).startswith("/staff/static/")
