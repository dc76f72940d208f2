"""Handlers take the typed pieces they use, bound when their routes are made or named in their
`Context`; none reaches into a locator (the import rule itself is an import-linter contract)."""

from __future__ import annotations

import ast
import asyncio
import inspect
from functools import partial
from pathlib import Path

from starlette.routing import BaseRoute, Route

from handlers.app import ROOMS
from handlers.compose import BUS_PIECES, ServeOptions, serve
from handlers.room import Room, Services, Task
from tests.conftest import TEST_SETTINGS, NatsFixture

HANDLERS = Path(__file__).parent.parent / "handlers"
# Entry points and their helpers: every module inside a room (a room's __init__ is its wiring).
ROOM_MODULES = sorted(
    path
    for path in HANDLERS.glob("*/*.py")
    if path.name != "__init__.py" and path.parent.name != "shared"
)


def parsed() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in ROOM_MODULES]


def test_every_room_module_is_read() -> None:
    rooms = {path.parent.name for path in ROOM_MODULES}
    assert {"ocr", "payments", "applications", "identity", "dashboard", "ops"} <= rooms
    assert len(ROOM_MODULES) > 60


def test_no_handler_keeps_or_reads_state_on_the_app() -> None:
    reached = [
        f"{path.relative_to(HANDLERS)}:{node.lineno}"
        for path, tree in parsed()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr == "state"
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "app"
    ]
    assert reached == []


def context_names(tree: ast.Module) -> list[str]:
    """The names given to FastStream's `Context(...)` in a module."""
    return [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "Context"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ]


def test_bus_handlers_ask_only_for_pieces_the_root_provides() -> None:
    asked = {
        f"{path.relative_to(HANDLERS)}: {name}"
        for path, tree in parsed()
        for name in context_names(tree)
    }
    assert len(asked) >= 8  # the OCR, applications and audit handlers' pieces were read
    unknown = {
        entry
        for entry in asked
        if entry.split(": ")[1].split(".")[0] not in {*BUS_PIECES, "broker"}
    }
    assert unknown == set()


def unbound(function: object) -> list[str]:
    """What a bound endpoint or task would still have to be given when called."""
    return [
        name
        for name, parameter in inspect.signature(function).parameters.items()  # type: ignore[arg-type]
        if parameter.default is inspect.Parameter.empty
        and parameter.kind not in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL)
    ]


async def wired_by_the_root(bus: NatsFixture) -> tuple[list[BaseRoute], list[Task]]:
    """Every room's routes and tasks as the composition root binds them (in a process that
    runs none of them: no subscribers, no web app)."""
    routes: list[BaseRoute] = []
    tasks: list[Task] = []
    stop = asyncio.Event()

    async def on_ready(services: Services) -> None:
        for room in ROOMS:
            wired = room.wire(services)
            routes.extend(wired.routes)
            tasks.extend(wired.tasks)
        stop.set()

    options = ServeOptions(
        data_dir=bus.data_dir, settings=TEST_SETTINGS, nats_urls=[bus.url], http_port=None
    )
    idle = [Room(room.name) for room in ROOMS]
    await asyncio.wait_for(serve(options, idle, on_ready, stop), timeout=60)
    return routes, tasks


async def test_every_route_and_task_is_bound_to_all_it_takes(own_bus: NatsFixture) -> None:
    routes, tasks = await wired_by_the_root(own_bus)
    endpoints = {
        f"{route.path} {sorted(route.methods or ())}": route.endpoint
        for route in routes
        if isinstance(route, Route)
    }
    assert len(endpoints) >= 40 and len(tasks) >= 5  # every room's routes and tasks were read
    paths = {key.split(" ")[0] for key in endpoints}
    assert {"/healthz", "/api/session", "/api/documents", "/api/payments", "/staff/"} <= paths
    # A route takes the request; everything else it uses was bound when it was made.
    missing = {path: unbound(endpoint)[1:] for path, endpoint in endpoints.items()}
    assert {path: names for path, names in missing.items() if names} == {}
    assert all(unbound(endpoint)[:1] == ["request"] for endpoint in endpoints.values())
    assert all(isinstance(task, partial) and unbound(task) == [] for task in tasks)
