"""Small helpers over JetStream key-value buckets that nats.py lacks or gets wrong.

Listings never open a consumer: the keys come from one stream-info request filtered by
subject (paged until the server's total is reached, else `ListingIncomplete`), the values
from direct gets. A KV watch can end before it has delivered everything (nats.py #842) and
leaves an ephemeral consumer behind for minutes; a stream holds at most 1000 of them.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

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
T = TypeVar("T")

# How often a read-decide-write step is tried when others keep writing the same record.
ATTEMPTS = 5

# Direct gets of one listing sent before waiting for their answers (one connection carries
# them all; a page of a few hundred documents costs a few round trips, not hundreds).
GETS_IN_FLIGHT = 64

# One KeyValue handle per connection and bucket: `js.key_value()` asks the server for the
# bucket's stream info every time (a round trip per request otherwise).
_HANDLES: weakref.WeakKeyDictionary[object, dict[str, KeyValue]] = weakref.WeakKeyDictionary()


async def open_kv(js: JetStreamContext, name: str) -> KeyValue:
    handles = _HANDLES.setdefault(js._nc, {})
    if name not in handles:
        handles[name] = await js.key_value(name)
    return handles[name]


class ListingIncomplete(Exception):
    """The server did not tell every key matching a pattern: the listing would be partial."""


async def keys_matching(kv: KeyValue, pattern: str) -> list[str]:
    """Every key matching a NATS wildcard pattern that has a message in the bucket (a deleted
    key may be among them until its marker expires: `get` then finds nothing). Complete, or
    ListingIncomplete. One request per 100,000 keys; no consumer."""
    js: Any = kv._js  # nats.py keeps the JetStream context and API prefix private
    prefix: str = kv._pre
    keys: list[str] = []
    while True:
        request = {"subjects_filter": f"{prefix}{pattern}", "offset": len(keys)}
        response = await js._api_request(
            f"{js._prefix}.STREAM.INFO.{kv._stream}", json.dumps(request).encode()
        )
        page = (response.get("state") or {}).get("subjects") or {}
        keys += [subject.removeprefix(prefix) for subject in page]
        total = response.get("total", len(keys))
        if len(keys) >= total:
            break
        if not page:
            raise ListingIncomplete(f"{kv._stream}: {len(keys)} of {total} keys told")
    return sorted(keys)


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


async def get_value(kv: KeyValue, key: str, model: type[M]) -> M | None:
    """The record alone, or None: for reads that never write it back."""
    found = await get_record(kv, key, model)
    return found[0] if found else None


async def list_records(kv: KeyValue, pattern: str, model: type[M]) -> list[tuple[str, M, int]]:
    """(key, record, revision) of every live key matching `pattern`, in key order: complete
    (a key deleted between the listing and its read is rightly absent) or ListingIncomplete."""
    keys = await keys_matching(kv, pattern)
    found = []
    for start in range(0, len(keys), GETS_IN_FLIGHT):
        batch = keys[start : start + GETS_IN_FLIGHT]
        records = await asyncio.gather(*(get_record(kv, key, model) for key in batch))
        found += [(key, *record) for key, record in zip(batch, records, strict=True) if record]
    return found


async def find_key(kv: KeyValue, pattern: str) -> str | None:
    """The one key matching `pattern` (e.g. `*.<id>` when the org in front is not known)."""
    keys = await keys_matching(kv, pattern)
    return keys[0] if keys else None


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


async def retry_on_change(key: str, step: Callable[[], Awaitable[T]]) -> T:
    """Run a read-decide-write `step` again while it raises RecordChanged (someone wrote the
    record between its read and its write), at most ATTEMPTS times; then RecordChanged."""
    for _ in range(ATTEMPTS):
        try:
            return await step()
        except RecordChanged:
            continue
    raise RecordChanged(key)
