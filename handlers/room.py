"""A room: everything one capability plugs into the process (bus, web, command line), and the
pieces the composition root built for the rooms to take theirs from."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiosqlite
import click
from faststream.nats import NatsBroker, NatsRouter
from nats.js import JetStreamContext
from starlette.routing import BaseRoute

from infra.ocr.engine import OcrEngine
from infra.payment_agent import PaymentAgent
from infra.payment_keys import AgentSecrets
from infra.pi_store import PersonalDataStore
from schemas.settings import Settings

# Long-running work beside the handlers (watchers), started with them, already bound.
Task = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Services:
    """Everything the composition root (`handlers/compose.py`) built for one process.

    Read by each room's `wire` to pick the pieces its handlers use; never handed to a handler.
    """

    settings: Settings
    data_dir: Path
    broker: NatsBroker  # the connected broker: rooms publish through it
    js: JetStreamContext
    nats_urls: Sequence[str]
    accounts: aiosqlite.Connection
    pi_store: PersonalDataStore
    ocr: OcrEngine
    agent_secrets: AgentSecrets
    payment_agent: PaymentAgent
    store_limit: int | None  # the embedded server's max_file_store, when we started it


@dataclass(frozen=True)
class Wired:
    """A room's entry points with their pieces bound: web routes and background tasks."""

    routes: Sequence[BaseRoute] = ()
    tasks: Sequence[Task] = ()


@dataclass(frozen=True)
class Room:
    name: str
    routers: Sequence[NatsRouter] = ()
    commands: Sequence[click.Command] = ()
    # Binds the room's routes and tasks to the pieces they use, taken from what the root built.
    wire: Callable[[Services], Wired] = field(default=lambda services: Wired())
