"""Operators' HTTP endpoints: `/healthz` for the load balancer, `/metrics` for Prometheus."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from functools import partial

from nats.aio.client import Client
from nats.js import JetStreamContext
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from events.catalog import STREAMS
from infra.metrics import refresh_store_gauges, refresh_stream_gauges
from infra.store import REFUSALS, STORE_FULL_LINE, hear_refusals, store_degraded


@dataclass(frozen=True)
class Bus:
    """What the operators' endpoints look at: the bus connection and its store limit."""

    connection: Client
    js: JetStreamContext
    store_limit: int | None  # the embedded server's max_file_store, when we started it


async def healthz(request: Request, bus: Bus) -> Response:
    """200 ok; 503 when the bus does not answer, or when the store refuses (or is about to
    refuse) writes: reads still work then, but nothing new can be handed in."""
    try:
        usage = await asyncio.wait_for(
            refresh_store_gauges(bus.connection, bus.store_limit), timeout=2.0
        )
    except Exception:
        return JSONResponse({"error": "bus_unreachable", "detail": None}, status_code=503)
    if store_degraded(usage, REFUSALS.recent()):
        body = {"status": "degraded", "error": "store_full", "detail": STORE_FULL_LINE}
        return JSONResponse(body, status_code=503)
    return JSONResponse({"status": "ok"})


async def metrics(request: Request, bus: Bus) -> Response:
    # The process's own metrics are still worth serving when the bus is away.
    with contextlib.suppress(Exception):
        await refresh_stream_gauges(bus.js, [s.name for s in STREAMS])
        await refresh_store_gauges(bus.connection, bus.store_limit)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def follow_store_refusals(connection: Client) -> None:
    """/healthz hears the writes other processes had refused (background task)."""
    await hear_refusals(connection)


def routes(bus: Bus) -> list[Route]:
    return [
        Route("/healthz", partial(healthz, bus=bus)),
        Route("/metrics", partial(metrics, bus=bus)),
    ]
