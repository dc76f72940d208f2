"""Serving the web app (Starlette under uvicorn) inside our own event loop."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Iterator, Sequence
from typing import Any

import h11
import uvicorn
from nats.js.errors import APIError as NatsApiError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute
from uvicorn.protocols.http.h11_impl import H11Protocol

from infra.http import ApiError as ApiError
from infra.http import SecurityHeaders, SlowBodies
from infra.store import REFUSALS, STORE_FULL_LINE, is_store_full
from infra.tls import TlsFiles, zone_of_certificate
from schemas.settings import WebSettings


class _Server(uvicorn.Server):
    # The composition root owns SIGINT/SIGTERM and stops the web server itself (should_exit).
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return JSONResponse(
        {"error": exc.code, "detail": exc.detail},
        status_code=exc.status,
    )


async def _bus_error(request: Request, exc: Exception) -> Response:
    """A write the store refused for lack of room: one line in Japanese and English (507), and
    /healthz degraded. Any other bus error goes on to the usual 500."""
    if not is_store_full(exc):
        raise exc
    REFUSALS.note()
    if request.url.path.startswith("/api/"):
        body = {"error": "store_full", "detail": STORE_FULL_LINE}
        return JSONResponse(body, status_code=507)
    page = (
        '<!doctype html><html lang="ja"><head><meta charset="utf-8">'
        f"<title>保存できませんでした</title></head><body><main><h1>保存できませんでした</h1>"
        f"<p>{STORE_FULL_LINE}</p></main></body></html>"
    )
    return HTMLResponse(page, status_code=507)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": exc.detail, "detail": None}, status_code=exc.status_code)


def build_web_app(routes: Sequence[BaseRoute], web: WebSettings | None = None) -> Starlette:
    """The app: routes as data (each bound to what it uses), errors as contract JSON."""
    web = web or WebSettings()
    return Starlette(
        routes=list(routes),
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(SlowBodies, idle=web.body_timeout),
        ],
        exception_handlers={
            HTTPException: _http_error,
            ApiError: _api_error,
            NatsApiError: _bus_error,
        },
    )


class _GuardedH11(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, closing a connection whose request headers have not all
    arrived `header_timeout` seconds after it opened (or after its last answer): uvicorn has
    no such limit, and a client sending headers a byte at a time would hold it for ever.

    With TLS it also puts the zone a client certificate names into each request's scope
    (`scope["extensions"]["tls"]["client_cert_zone"]`): uvicorn does not pass the peer
    certificate to the app.
    """

    header_timeout = 10.0
    certificate_zone = False
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_headers()
        if not self.certificate_zone:
            return
        ssl_object = transport.get_extra_info("ssl_object")
        zone = zone_of_certificate(ssl_object.getpeercert() if ssl_object else None)
        inner = self.app

        async def with_zone(scope: Any, receive: Any, send: Any) -> None:
            extensions = {**scope.get("extensions", {}), "tls": {"client_cert_zone": zone}}
            await inner({**scope, "extensions": extensions}, receive, send)

        self.app = with_zone

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE and self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
        super().connection_lost(exc)

    def _await_headers(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_late)

    def _headers_late(self) -> None:
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


CERT_REQS = {"off": ssl.CERT_NONE, "optional": ssl.CERT_OPTIONAL, "required": ssl.CERT_REQUIRED}


def server_limits(web: WebSettings) -> dict[str, Any]:
    """uvicorn's options from `[web]`: forwarded headers believed only from the proxies named
    (uvicorn's own default believes 127.0.0.1), connections and header sizes bounded."""
    proxies = [str(network) for network in web.trusted_proxies]
    return {
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": proxies,
        "limit_concurrency": web.max_connections,
        "timeout_keep_alive": 5,
        "h11_max_incomplete_event_size": 16 * 1024,
    }


def web_server(
    app: Starlette,
    host: str,
    port: int,
    tls: TlsFiles | None = None,
    client_certs: str = "optional",
    web: WebSettings | None = None,
) -> uvicorn.Server:
    web = web or WebSettings()
    protocol = type(
        "GuardedH11",
        (_GuardedH11,),
        {"header_timeout": web.header_timeout, "certificate_zone": tls is not None},
    )
    options: dict[str, Any] = {"http": protocol, **server_limits(web)}
    if tls is not None:
        options |= {
            "ssl_certfile": str(tls.cert_file),
            "ssl_keyfile": str(tls.key_file),
            "ssl_ca_certs": str(tls.ca_file),
            "ssl_cert_reqs": CERT_REQS[client_certs],
        }
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        lifespan="off",
        access_log=False,
        # Open live-update streams (SSE) would otherwise hold a stop up for as long as a
        # browser keeps its page open.
        timeout_graceful_shutdown=3,
        **options,
    )
    return _Server(config)


async def start_web(web: uvicorn.Server) -> asyncio.Task[None]:
    """Serve in the background once listening. uvicorn offers no start event: poll its flag, and
    surface why it failed if it did (port in use, ...)."""
    task = asyncio.create_task(web.serve())
    while not web.started:
        if task.done():
            task.result()  # raises the reason
            raise RuntimeError("the web server stopped before it started")
        await asyncio.sleep(0.02)
    return task
