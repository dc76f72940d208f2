"""Live updates for staff pages: Server-Sent Events fed by a subscription to the org's
subjects. Events carry ids, states and counts (no personal data), as on the bus."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

from nats.aio.client import Client
from nats.aio.msg import Msg
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from events.catalog import NOTICES
from handlers.dashboard.pages import Pages, page

AGGREGATES = ("document", "ocr", "application", "payment")
KEEPALIVE_SECONDS = 15.0


@page
async def live(request: Request, pages: Pages, nc: Client) -> Response:
    """`nc`: the process's bus connection, subscribed to the org's subjects while the page is
    open."""
    session = await pages.signed_in(request)
    org = session.principal.org
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue(maxsize=1000)

    async def heard(msg: Msg) -> None:
        with contextlib.suppress(asyncio.QueueFull):  # a stalled page misses events, not memory
            queue.put_nowait((msg.subject, msg.data))

    subjects = [f"{aggregate}.*.{org}" for aggregate in AGGREGATES]
    subjects += [notice.subject(org) for notice in NOTICES]  # pages read, while reading
    subscriptions = [await nc.subscribe(subject, cb=heard) for subject in subjects]

    async def stream() -> AsyncIterator[str]:
        try:
            yield "retry: 2000\n\n"
            while not await request.is_disconnected():
                try:
                    subject, data = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                event_type = ".".join(subject.split(".")[:2])
                payload = json.loads(data)
                payload["type"] = event_type
                yield f"event: {event_type}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"
        finally:
            for subscription in subscriptions:
                with contextlib.suppress(Exception):
                    await subscription.unsubscribe()

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
