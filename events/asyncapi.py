"""The AsyncAPI 3.0 document, generated from the catalog's declaration of the event graph:
a channel per event type with `{org}` as a parameter, a `send` operation for each place that
publishes it and a `receive` operation for each subscriber that hears it (room and entry
point named). `madoguchi asyncapi` writes it; a test fails when docs/asyncapi.json is stale."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from events.catalog import (
    DEAD_LETTER_PREFIX,
    EVENTS,
    EVERY_EVENT_CONSUMERS,
    NOTICES,
    REQUESTS,
    Endpoint,
    EventSpec,
)

ORG_PARAMETER = {
    "description": "The organisation (department or group) the message belongs to; an event's"
    " payload names the same org"
}
EVENT_HEADERS = {
    "type": "object",
    "properties": {
        "Nats-Msg-Id": {"type": "string", "description": "the event id (duplicates dropped)"},
        "traceparent": {"type": "string", "description": "W3C trace context"},
        "Madoguchi-Schema": {"type": "string", "description": "`<type>/v<schema version>`"},
    },
    "required": ["Nats-Msg-Id", "traceparent", "Madoguchi-Schema"],
}


def _ref(*path: str) -> dict[str, str]:
    return {"$ref": "#/" + "/".join(path)}


class _Schemas:
    """Component schemas of pydantic models, their nested definitions hoisted beside them."""

    def __init__(self) -> None:
        self.found: dict[str, Any] = {}

    def add(self, model: type[BaseModel]) -> dict[str, str]:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        self.found.update(schema.pop("$defs", {}))
        self.found[model.__name__] = schema
        return _ref("components", "schemas", model.__name__)


def _operation(action: str, channel: str, message: str, at: Endpoint) -> dict[str, Any]:
    return {
        "action": action,
        "channel": _ref("channels", channel),
        "messages": [_ref("channels", channel, "messages", message)],
        "summary": f"room {at.room}, entry point {at.entry}",
        "tags": [{"name": f"room:{at.room}"}],
    }


def _event_channel(spec: EventSpec) -> dict[str, Any]:
    return {
        "address": f"{spec.aggregate}.{spec.name}.{{org}}",
        "title": spec.type_name,
        "description": f"{spec.description} (stream {spec.stream})",
        "parameters": {"org": ORG_PARAMETER},
        "messages": {spec.type_name: _ref("components", "messages", spec.type_name)},
    }


def document(version: str) -> dict[str, Any]:
    schemas = _Schemas()
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for spec in EVENTS:
        channels[spec.type_name] = _event_channel(spec)
        messages[spec.type_name] = {
            "name": spec.type_name,
            "title": spec.model.__name__,
            "contentType": "application/json",
            "headers": EVENT_HEADERS,
            "payload": schemas.add(spec.model),
        }
        for action, ends in (
            ("send", spec.producers),
            ("receive", (*spec.consumers, *EVERY_EVENT_CONSUMERS)),
        ):
            for at in ends:
                name = f"{at.room}.{at.entry.replace(':', '.')}.{action}.{spec.type_name}"
                operations[name] = _operation(action, spec.type_name, spec.type_name, at)
        if spec.dead_letter_consumers:
            dead = f"{DEAD_LETTER_PREFIX}.{spec.type_name}"
            channels[dead] = {
                "address": f"{dead}.{{org}}",
                "title": dead,
                "description": f"A {spec.type_name} given up on after its last try: the original"
                " body and headers, plus Madoguchi-Error, Madoguchi-Deliveries and"
                " Madoguchi-Original-Subject",
                "parameters": {"org": ORG_PARAMETER},
                "messages": {spec.type_name: _ref("components", "messages", spec.type_name)},
            }
            for at in spec.dead_letter_consumers:
                name = f"{at.room}.{at.entry.replace(':', '.')}.receive.{dead}"
                operations[name] = _operation("receive", dead, spec.type_name, at)
    for request in REQUESTS:
        name = request.type_name
        channels[name] = {
            "address": f"{name}.{{org}}",
            "title": name,
            "description": f"{request.description}. Request/reply, one message at a time:"
            " the first (offset 0, at most 1 MiB of the file) here; each reply says what"
            " next: `continue` (send the bytes from `offset`, at most `chunk_bytes`, to the"
            f" subject `upload`, `{name}.{{org}}.<instance>.<upload>`), `accepted`, `rejected`"
            " or `retry` (start again after `retry_after` s). Every message carries the same"
            " headers but `Scan-Offset`; the body is the file's bytes from that offset",
            "parameters": {"org": ORG_PARAMETER},
            "messages": {
                "request": {
                    "name": f"{name}.request",
                    "contentType": "application/octet-stream",
                    "headers": schemas.add(request.request),
                },
            },
        }
        channels[f"{name}.reply"] = {
            "address": None,
            "description": "The reply inbox the requester names",
            "messages": {
                "reply": {
                    "name": f"{name}.reply",
                    "contentType": "application/json",
                    "payload": schemas.add(request.reply),
                }
            },
        }
        operations[f"{name}.receive"] = {
            "action": "receive",
            "channel": _ref("channels", name),
            "messages": [_ref("channels", name, "messages", "request")],
            "reply": {
                "channel": _ref("channels", f"{name}.reply"),
                "messages": [_ref("channels", f"{name}.reply", "messages", "reply")],
            },
        }
    for notice in NOTICES:
        name = f"progress.{notice.aggregate}"
        channels[name] = {
            "address": f"{name}.{{org}}",
            "title": name,
            "description": f"{notice.description} (core NATS, kept by no stream)",
            "parameters": {"org": ORG_PARAMETER},
            "messages": {
                name: {
                    "name": name,
                    "contentType": "application/json",
                    "payload": schemas.add(notice.model),
                }
            },
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "madoguchi",
            "version": version,
            "description": "madoguchi (窓口): city hall AI-OCR and online applications. Every"
            " event is published by the places named in its `send` operations and heard by"
            " those in its `receive` operations (generated from events/catalog.py).",
        },
        "defaultContentType": "application/json",
        "servers": {"development": {"host": "localhost:4222", "protocol": "nats"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas.found},
    }


def render(version: str) -> str:
    return json.dumps(document(version), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
