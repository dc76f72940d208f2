"""A madoguchi process (the real `serve()`) with one handler slower than its producers.

Used by the slow-consumer test: each `document.scanned` takes `--delay` seconds to handle,
through the durable pull consumer `slow-test`, as every room's handlers consume.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from faststream.nats import NatsRouter

from events.catalog import event_spec
from handlers.compose import ServeOptions, serve
from handlers.room import Room, Services
from infra.bus import durable_subscriber
from schemas.events import DocumentScanned
from schemas.settings import Settings

router = NatsRouter()
DELAY = 0.2


@durable_subscriber(router, event_spec(DocumentScanned), "slow-test")
async def handle(doc: DocumentScanned) -> None:
    await asyncio.sleep(DELAY)


async def main() -> None:
    global DELAY
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--nats-url", required=True)
    parser.add_argument("--delay", type=float, required=True)
    args = parser.parse_args()
    DELAY = args.delay
    options = ServeOptions(
        data_dir=args.data, settings=Settings(), nats_urls=[args.nats_url], http_port=None
    )

    async def ready(services: Services) -> None:
        print("ready", flush=True)

    await serve(options, [Room("slow-test", routers=[router])], on_ready=ready)


if __name__ == "__main__":
    asyncio.run(main())
