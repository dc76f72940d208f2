"""A room: everything one capability plugs into the process (bus, web, command line)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import click
from faststream.nats import NatsRouter
from starlette.routing import BaseRoute

from infra.runtime import Runtime


@dataclass(frozen=True)
class Room:
    name: str
    routers: Sequence[NatsRouter] = ()
    routes: Sequence[BaseRoute] = ()
    commands: Sequence[click.Command] = ()
    # Long-running work beside the handlers (watchers), started with them: fn(runtime).
    tasks: Sequence[Callable[[Runtime], Awaitable[None]]] = ()
