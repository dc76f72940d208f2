"""Small helpers over JetStream key-value buckets that nats.py lacks or gets wrong."""

from __future__ import annotations

import weakref
from typing import TypeVar

from nats.js import JetStreamContext
from nats.js.errors import (
    BadRequestError,
    KeyNotFoundError,
    KeyWrongLastSequenceError,
    NotFoundError,
)
from nats.js.kv import KeyValue
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

# One KeyValue handle per connection and bucket: `js.key_value()` asks the server for the
# bucket's stream info every time (a round trip per request otherwise).
_HANDLES: weakref.WeakKeyDictionary[object, dict[str, KeyValue]] = weakref.WeakKeyDictionary()


async def open_kv(js: JetStreamContext, name: str) -> KeyValue:
    handles = _HANDLES.setdefault(js._nc, {})
    if name not in handles:
        handles[name] = await js.key_value(name)
    return handles[name]


async def keys_matching(kv: KeyValue, pattern: str) -> list[str]:
    """Live keys matching a NATS wildcard pattern (nats.py's `keys(filters=...)` compares
    the filter as a plain substring, so a wildcard matches nothing)."""
    watcher = await kv.watch(pattern, ignore_deletes=True, meta_only=True)
    keys = []
    async for entry in watcher:
        if entry is None:  # the end of what is stored now
            break
        keys.append(entry.key)
    await watcher.stop()  # type: ignore[no-untyped-call]
    return keys


class RecordChanged(Exception):
    """Someone else wrote the record since it was read: read it again and redo the step."""


async def get_record(kv: KeyValue, key: str, model: type[M]) -> tuple[M, int] | None:
    """The record and its revision (for `put_record(..., revision=...)`), or None."""
    try:
        entry = await kv.get(key)
    except (KeyNotFoundError, NotFoundError):
        return None
    if not entry.value or entry.revision is None:
        return None
    return model.model_validate_json(entry.value), entry.revision


async def put_record(kv: KeyValue, key: str, record: BaseModel, revision: int | None) -> int:
    """Write `record`; with a revision, only over that revision (0: only if new), else raise
    RecordChanged. Two clerks or a webhook and a status query never overwrite each other."""
    data = record.model_dump_json().encode()
    try:
        if revision is None:
            return await kv.put(key, data)
        if revision == 0:
            return await kv.create(key, data)
        return await kv.update(key, data, last=revision)
    except (KeyWrongLastSequenceError, BadRequestError) as exc:
        raise RecordChanged(key) from exc
