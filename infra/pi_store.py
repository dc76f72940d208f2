"""The one way personal data is kept: put / get / delete a record by kind and id.

Every caller that keeps personal information (scans, OCR results, answers, attachments) goes
through this class, so encryption and deletion can be added underneath without touching them.
Each kind lives in its own bucket, whose max age is that kind's retention.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError, NotFoundError, ObjectNotFoundError
from nats.js.kv import KeyValue
from nats.js.object_store import ObjectStore

from events.catalog import PERSONAL_DATA_KINDS, PersonalDataKind

_RECORD_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


class RecordNotFound(LookupError):
    """No such record: never written, deleted, or expired with its retention."""


class UnknownKind(ValueError):
    pass


def _check_id(record_id: str) -> str:
    if not _RECORD_ID.match(record_id):
        # The id is ours (a uuid), never personal data, so it may be named in the message.
        raise ValueError(f"invalid record id {record_id!r}: use letters, digits, '-' or '_'")
    return record_id


class PersonalDataStore:
    def __init__(
        self, js: JetStreamContext, kinds: Mapping[str, PersonalDataKind] = PERSONAL_DATA_KINDS
    ) -> None:
        self._js = js
        self._kinds = dict(kinds)
        self._kv: dict[str, KeyValue] = {}
        self._obj: dict[str, ObjectStore] = {}

    def _kind(self, name: str) -> PersonalDataKind:
        try:
            return self._kinds[name]
        except KeyError:
            raise UnknownKind(f"unknown personal-data kind {name!r}") from None

    async def _kv_bucket(self, kind: PersonalDataKind) -> KeyValue:
        if kind.name not in self._kv:
            self._kv[kind.name] = await self._js.key_value(kind.bucket.name)
        return self._kv[kind.name]

    async def _object_store(self, kind: PersonalDataKind) -> ObjectStore:
        if kind.name not in self._obj:
            self._obj[kind.name] = await self._js.object_store(kind.bucket.name)
        return self._obj[kind.name]

    async def put(self, kind_name: str, record_id: str, data: bytes) -> None:
        kind = self._kind(kind_name)
        key = _check_id(record_id)
        if kind.bucket.kind == "kv":
            await (await self._kv_bucket(kind)).put(key, data)
        else:
            await (await self._object_store(kind)).put(key, data)

    async def get(self, kind_name: str, record_id: str) -> bytes:
        kind = self._kind(kind_name)
        key = _check_id(record_id)
        try:
            if kind.bucket.kind == "kv":
                entry = await (await self._kv_bucket(kind)).get(key)
                return entry.value or b""
            result = await (await self._object_store(kind)).get(key)
            return result.data or b""
        except (KeyNotFoundError, ObjectNotFoundError, NotFoundError):
            raise RecordNotFound(f"no {kind.name} record {key}") from None

    async def delete(self, kind_name: str, record_id: str) -> None:
        """Remove the record and its history; deleting what is not there is not an error."""
        kind = self._kind(kind_name)
        key = _check_id(record_id)
        try:
            if kind.bucket.kind == "kv":
                await (await self._kv_bucket(kind)).purge(key)
            else:
                await (await self._object_store(kind)).delete(key)
        except (KeyNotFoundError, ObjectNotFoundError, NotFoundError):
            return
