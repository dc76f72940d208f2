"""Serving the web app (Starlette under uvicorn) inside our own event loop."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute


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
    return JSONResponse({"error": exc.code, "detail": exc.detail}, status_code=exc.status,
                        headers={"Cache-Control": "no-store"})  # fmt: skip


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


def web_server(app: Starlette, host: str, port: int) -> uvicorn.Server:
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", lifespan="off", access_log=False
    )
    return _Server(config)
