"""Operators' HTTP endpoints: `/healthz` for the load balancer, `/metrics` for Prometheus."""

from __future__ import annotations

import asyncio
import contextlib

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from events.catalog import STREAMS
from infra.metrics import refresh_stream_gauges
from infra.runtime import Runtime


async def healthz(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    try:
        await asyncio.wait_for(runtime.js.account_info(), timeout=2.0)
    except Exception:
        return JSONResponse({"error": "bus_unreachable", "detail": None}, status_code=503)
    return JSONResponse({"status": "ok"})


async def metrics(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    # The process's own metrics are still worth serving when the bus is away.
    with contextlib.suppress(Exception):
        await refresh_stream_gauges(runtime.js, [s.name for s in STREAMS])
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


routes = [Route("/healthz", healthz), Route("/metrics", metrics)]
