"""A madoguchi process (the real `serve()`) with one handler that waits for a gate.

Used by the Ctrl-C tests: the handler prints `started <id>`, waits until the test opens the
gate (a key in the `test_gate` KV bucket), publishes `ocr.completed`, prints `finished <id>`.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from faststream import Context
from faststream.nats import NatsBroker, NatsRouter
from nats.js import JetStreamContext

from events.catalog import event_spec
from events.envelope import publish_event
from handlers.compose import ServeOptions, serve
from handlers.room import Room, Services
from infra.bus import durable_subscriber
from schemas.events import DocumentScanned
from schemas.settings import Settings
from tests.support import completed_for

router = NatsRouter()


@durable_subscriber(router, event_spec(DocumentScanned), "drain-test")
async def handle(
    doc: DocumentScanned,
    js: JetStreamContext = Context("js"),
    broker: NatsBroker = Context("broker"),
) -> None:
    print(f"started {doc.document_id}", flush=True)
    gate = await js.key_value("test_gate")
    watcher = await gate.watch(doc.document_id)
    async for entry in watcher:
        if entry is not None and entry.value:
            break
    await watcher.stop()
    done = completed_for(doc)
    await publish_event(broker, done)
    print(f"finished {doc.document_id}", flush=True)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--nats-url", required=True)
    parser.add_argument("--graceful", type=float, required=True)
    args = parser.parse_args()
    options = ServeOptions(
        data_dir=args.data,
        settings=Settings(),
        nats_urls=[args.nats_url],
        http_port=None,
        graceful_timeout=args.graceful,
    )

    async def ready(services: Services) -> None:
        print("ready", flush=True)

    await serve(options, [Room("drain-test", routers=[router])], on_ready=ready)
    print("stopped", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
