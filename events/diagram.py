"""The README's flow diagram (mermaid), generated from the catalog's declaration of the
event graph: which room's events reach which room. `madoguchi asyncapi --readme README.md`
writes it between the markers; a test fails when the README's copy is stale."""

from __future__ import annotations

from collections import defaultdict

from events.catalog import EVENTS, EVERY_EVENT_CONSUMERS

BEGIN = "<!-- event-graph: generated from events/catalog.py by `make asyncapi` -->"
END = "<!-- /event-graph -->"


def _label(type_names: list[str]) -> str:
    """`ocr.completed, ocr.failed` stays; every event of an aggregate becomes `ocr.*`."""
    shown: list[str] = []
    for aggregate in dict.fromkeys(name.split(".")[0] for name in type_names):
        everyone = [s.type_name for s in EVENTS if s.aggregate == aggregate]
        mine = [name for name in type_names if name.startswith(aggregate + ".")]
        shown += [f"{aggregate}.*"] if mine == everyone and len(mine) > 1 else mine
    return "<br>".join(shown)


def flow() -> str:
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    audited: list[str] = []
    for spec in EVENTS:
        for producer in dict.fromkeys(at.room for at in spec.producers):
            if producer not in audited:
                audited.append(producer)
            for consumer in dict.fromkeys(at.room for at in spec.consumers):
                edges[(producer, consumer)].append(spec.type_name)
            for consumer in dict.fromkeys(at.room for at in spec.dead_letter_consumers):
                edges[(producer, consumer)].append(f"deadletter.{spec.type_name}")
    lines = ["```mermaid", "flowchart LR"]
    for (producer, consumer), names in edges.items():
        lines.append(f'  {producer} -- "{_label(names)}" --> {consumer}')
    for room in dict.fromkeys(at.room for at in EVERY_EVENT_CONSUMERS):
        for producer in audited:
            lines.append(f'  {producer} -. "every event" .-> {room}')
    lines.append("```")
    return "\n".join(lines) + "\n"


def with_flow(readme: str) -> str:
    """The README with its generated section replaced by the current diagram."""
    before, found, rest = readme.partition(BEGIN + "\n")
    if not found or END not in rest:
        raise ValueError(f"the README has no {BEGIN} ... {END} section")
    return before + BEGIN + "\n" + flow() + END + rest.split(END, 1)[1]
