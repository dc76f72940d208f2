"""Serving the web app (Starlette under uvicorn) inside our own event loop."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Iterator, Sequence
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute
from uvicorn.protocols.http.h11_impl import H11Protocol

from infra.tls import TlsFiles, zone_of_certificate


class _Server(uvicorn.Server):
    # The runtime owns SIGINT/SIGTERM and stops the web server itself (should_exit).
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class ApiError(Exception):
    """An error the API answers with: `{"error": code, "detail": message}` and a status."""

    def __init__(self, status: int, code: str, detail: object = None) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.detail = detail


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return JSONResponse(
        {"error": exc.code, "detail": exc.detail},
        status_code=exc.status,
        headers={"Cache-Control": "no-store"},
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": exc.detail, "detail": None}, status_code=exc.status_code)


def build_web_app(routes: Sequence[BaseRoute], state: dict[str, Any]) -> Starlette:
    """The app: routes as data, shared resources on `app.state`, errors as contract JSON."""
    app = Starlette(
        routes=list(routes),
        exception_handlers={HTTPException: _http_error, ApiError: _api_error},
    )
    for key, value in state.items():
        setattr(app.state, key, value)
    return app


class _ClientCertificateZone(H11Protocol):
    """Puts the zone a client certificate names into each request's scope.

    uvicorn does not pass the peer certificate to the app, so the protocol reads it from the
    TLS connection once and hands it on as `scope["extensions"]["tls"]["client_cert_zone"]`.
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        zone = zone_of_certificate(ssl_object.getpeercert() if ssl_object else None)
        inner = self.app

        async def with_zone(scope: Any, receive: Any, send: Any) -> None:
            extensions = {**scope.get("extensions", {}), "tls": {"client_cert_zone": zone}}
            await inner({**scope, "extensions": extensions}, receive, send)

        self.app = with_zone


CERT_REQS = {"off": ssl.CERT_NONE, "optional": ssl.CERT_OPTIONAL, "required": ssl.CERT_REQUIRED}


def web_server(
    app: Starlette,
    host: str,
    port: int,
    tls: TlsFiles | None = None,
    client_certs: str = "optional",
) -> uvicorn.Server:
    options: dict[str, Any] = {}
    if tls is not None:
        options = {
            "ssl_certfile": str(tls.cert_file),
            "ssl_keyfile": str(tls.key_file),
            "ssl_ca_certs": str(tls.ca_file),
            "ssl_cert_reqs": CERT_REQS[client_certs],
            "http": _ClientCertificateZone,
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
