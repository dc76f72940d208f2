"""Operators' HTTP endpoints: `/healthz` for the load balancer, `/metrics` for Prometheus."""

from __future__ import annotations

import asyncio
import contextlib

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from events.catalog import STREAMS
from infra.metrics import refresh_store_gauges, refresh_stream_gauges
from infra.runtime import Runtime
from infra.store import REFUSALS, STORE_FULL_LINE, hear_refusals, store_degraded


async def healthz(request: Request) -> Response:
    """200 ok; 503 when the bus does not answer, or when the store refuses (or is about to
    refuse) writes: reads still work then, but nothing new can be handed in."""
    runtime: Runtime = request.app.state.runtime
    try:
        usage = await asyncio.wait_for(
            refresh_store_gauges(runtime.broker.connection, runtime.store_limit), timeout=2.0
        )
    except Exception:
        return JSONResponse({"error": "bus_unreachable", "detail": None}, status_code=503)
    if store_degraded(usage, REFUSALS.recent()):
        body = {"status": "degraded", "error": "store_full", "detail": STORE_FULL_LINE}
        return JSONResponse(body, status_code=503)
    return JSONResponse({"status": "ok"})


async def metrics(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    # The process's own metrics are still worth serving when the bus is away.
    with contextlib.suppress(Exception):
        await refresh_stream_gauges(runtime.js, [s.name for s in STREAMS])
        await refresh_store_gauges(runtime.broker.connection, runtime.store_limit)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def follow_store_refusals(runtime: Runtime) -> None:
    """/healthz hears the writes other processes had refused (background task)."""
    await hear_refusals(runtime.broker.connection)


routes = [Route("/healthz", healthz), Route("/metrics", metrics)]
