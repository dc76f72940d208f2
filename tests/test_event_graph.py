"""The event graph is declared once (events/catalog.py) and the code matches it both ways:
every publish goes through a declared publisher, used where the catalog says; every
subscriber is a declared consumer; the generated AsyncAPI and README diagram are current."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

import handlers.app  # noqa: F401  (imports every room, so every publisher is declared)
from events.asyncapi import document
from events.catalog import EVENTS, EVERY_EVENT_CONSUMERS, Endpoint
from events.diagram import flow, with_flow
from events.envelope import Publisher
from schemas.events import OcrVerified

ROOT = Path(__file__).resolve().parent.parent


def modules(folder: str) -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text())) for path in sorted((ROOT / folder).rglob("*.py"))]


def called_name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def function_named(tree: ast.Module, name: str) -> ast.AST | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return node
    return None


def endpoint_of(path: Path) -> tuple[str, str]:
    """(room, module) of a file under handlers/<room>/."""
    relative = path.relative_to(ROOT / "handlers")
    return relative.parts[0], relative.stem


def test_nothing_publishes_an_event_but_a_declared_publisher() -> None:
    direct = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for folder in ("handlers", "infra")
        for path, tree in modules(folder)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and called_name(node) == "publish_event"
    ]
    assert direct == [], "publish through a Publisher declared in events/catalog.py"


def test_each_publisher_is_used_where_the_catalog_says() -> None:
    checked = 0
    for path, tree in modules("handlers"):
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
                continue
            if called_name(node.value) != "Publisher":
                continue
            room, entry = (ast.literal_eval(arg) for arg in node.value.args[:2])
            assert (room, entry.partition(":")[0]) == endpoint_of(path), (path, room, entry)
            function = function_named(tree, entry.partition(":")[2])
            assert function is not None, f"{path.name} has no {entry}"
            (target,) = node.targets
            assert isinstance(target, ast.Name)
            used = {n.id for n in ast.walk(function) if isinstance(n, ast.Name)}
            assert target.id in used, f"{target.id} is not used in {entry}"
            checked += 1
    assert checked == len(Publisher.declared) > 0


def test_every_declared_producer_has_its_publisher() -> None:
    declared = {(spec.model, at) for spec in EVENTS for at in spec.producers}
    built = {(model, p.at) for p in Publisher.declared for model in p.models}
    assert declared == built


def subscribers() -> set[Endpoint]:
    found = set()
    for path, tree in modules("handlers"):
        room, module = endpoint_of(path)
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and called_name(decorator) in (
                    "subscriber",
                    "durable_subscriber",
                ):
                    found.add(Endpoint(room, f"{module}:{node.name}"))
    return found


def test_every_subscriber_is_a_declared_consumer_and_back() -> None:
    declared = set(EVERY_EVENT_CONSUMERS)
    for spec in EVENTS:
        declared |= set(spec.consumers) | set(spec.dead_letter_consumers)
    subscribing = subscribers()
    assert len(subscribing) >= 4  # nothing there would pass the check below for nothing
    assert subscribing <= declared, subscribing - declared
    for at in declared:  # subscribers, and the staff screens' live subscription
        path = ROOT / Path(*at.module.split(".")).with_suffix(".py")
        assert function_named(ast.parse(path.read_text()), at.function) is not None, str(at)


def test_an_undeclared_publisher_does_not_start() -> None:
    with pytest.raises(ValueError, match="does not declare"):
        Publisher("payments", "service:refund", OcrVerified)


def test_the_readme_diagram_is_current() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "payment.settled" in flow()  # the edge the hand-drawn diagram missed
    assert with_flow(readme) == readme, "run `make asyncapi` and commit README.md"


def test_the_asyncapi_document_names_org_parameters_and_every_reference_resolves() -> None:
    spec = document("0")
    for name, channel in spec["channels"].items():
        if channel["address"] is not None:
            assert "*" not in channel["address"] and "{org}" in channel["address"], name
            assert set(channel["parameters"]) == {"org"}, name

    def resolve(ref: str) -> object:
        node: object = spec
        for part in ref.removeprefix("#/").split("/"):
            assert isinstance(node, dict) and part in node, ref
            node = node[part]
        return node

    refs = re.findall(r'"\$ref": "([^"]+)"', json.dumps(spec))
    assert len(refs) > len(EVENTS)
    for ref in refs:
        resolve(ref)
    settled = [
        op["summary"]
        for op in spec["operations"].values()
        if op["channel"]["$ref"] == "#/channels/payment.settled"
    ]
    assert "room applications, entry point bus:fee_paid" in settled
