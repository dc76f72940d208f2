"""The one way personal data is kept: put / get / delete a record by kind and id.

Every caller that keeps personal information (scans, OCR results, answers, attachments) goes
through this class. Underneath, each record is sealed with a data key of its own (AES-256-GCM,
bound to its kind and id); the data key, wrapped by the key-encryption key, goes to a key
bucket whose max age is the record's retention. When that key expires or is deleted, every
copy of the record (stream backups, mirrors, snapshots) is unreadable.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from pathlib import Path

from nats.js import JetStreamContext
from nats.js.api import ObjectMeta, ObjectMetaOptions
from nats.js.errors import (
    BadRequestError,
    KeyNotFoundError,
    KeyWrongLastSequenceError,
    NotFoundError,
    ObjectNotFoundError,
)
from nats.js.kv import KeyValue
from nats.js.object_store import ObjectStore

from events.catalog import PERSONAL_DATA_KINDS, BucketSpec, PersonalDataKind
from infra.crypto import DecryptionError, KeyRing, open_blob, seal, seal_with, unwrap, wrap
from infra.kv import RecordChanged, keys_matching
from infra.metrics import RECORDS_UNREADABLE

# Object-store records go in 1 MiB chunks (nats-py's default is 128 KiB): with
# `sync_interval: always` each chunk waits for a disk sync, so a 1 MB scan waits once, not
# eight times (`make bench`, scan intake). Well below max_payload; old records keep theirs.
OBJECT_CHUNK = 1024 * 1024

# How long one object read may take before it counts as stalled (a 25 MB scan reads in well
# under a second on the node's own server). It bounds nats-py's object get, which waits
# without end for chunks that retention removed after it found the object's description.
OBJECT_READ_TIMEOUT = 30.0

_RECORD_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


class RecordNotFound(LookupError):
    """No such record: never written, deleted, or expired with its retention."""


class RecordUnreadable(Exception):
    """The record is there but does not open: this process lacks the key-encryption key that
    wrapped it (e.g. started with the wrong `--data/keys`), or the stored bytes were altered.
    Not "past retention": a handler lets it fail, so it is retried, then dead-lettered."""


class UnknownKind(ValueError):
    pass


def _check_id(record_id: str) -> str:
    if not _RECORD_ID.match(record_id):
        # The id is ours (a uuid), never personal data, so it may be named in the message.
        raise ValueError(f"invalid record id {record_id!r}: use letters, digits, '-' or '_'")
    return record_id


def _aad(kind: PersonalDataKind, record_id: str, part: str) -> bytes:
    return f"{part}/{kind.name}/{record_id}".encode()


class PersonalDataStore:
    def __init__(
        self,
        js: JetStreamContext,
        keyring: KeyRing,
        kinds: Mapping[str, PersonalDataKind] = PERSONAL_DATA_KINDS,
    ) -> None:
        self._js = js
        self._ring = keyring
        self._kinds = dict(kinds)
        self._kv: dict[str, KeyValue] = {}
        self._obj: dict[str, ObjectStore] = {}

    def _kind(self, name: str) -> PersonalDataKind:
        try:
            return self._kinds[name]
        except KeyError:
            raise UnknownKind(f"unknown personal-data kind {name!r}") from None

    async def _kv_bucket(self, bucket: BucketSpec) -> KeyValue:
        if bucket.name not in self._kv:
            self._kv[bucket.name] = await self._js.key_value(bucket.name)
        return self._kv[bucket.name]

    async def _object_store(self, bucket: BucketSpec) -> ObjectStore:
        if bucket.name not in self._obj:
            self._obj[bucket.name] = await self._js.object_store(bucket.name)
        return self._obj[bucket.name]

    async def put(self, kind_name: str, record_id: str, data: bytes) -> None:
        kind = self._kind(kind_name)
        key = _check_id(record_id)
        data_key, blob = seal(data, _aad(kind, key, "data"))
        wrapped = wrap(self._ring, data_key, _aad(kind, key, "key"))
        # Key and data are written side by side (one wait, not two). If either write fails
        # the put fails, and what was written alone expires with the record's retention: a
        # key without data, or data without a key, which reads as no record at all.
        keys = await self._kv_bucket(kind.key_bucket)
        await asyncio.gather(
            keys.put(f"{kind.name}.{key}", wrapped), self._put_data(kind, key, blob)
        )

    async def _put_data(self, kind: PersonalDataKind, key: str, blob: bytes) -> None:
        if kind.bucket.kind == "kv":
            await (await self._kv_bucket(kind.bucket)).put(key, blob)
        else:
            meta = ObjectMeta(name=key, options=ObjectMetaOptions(max_chunk_size=OBJECT_CHUNK))
            await (await self._object_store(kind.bucket)).put(key, blob, meta)

    async def get(self, kind_name: str, record_id: str) -> bytes:
        return (await self.read(kind_name, record_id))[0]

    async def read(self, kind_name: str, record_id: str) -> tuple[bytes, int]:
        """The record and its revision (for `replace`; 0 for object-store kinds).
        RecordNotFound when it is not there, RecordUnreadable when it does not open."""
        kind = self._kind(kind_name)
        key = _check_id(record_id)
        revision = 0
        try:
            entry = await (await self._kv_bucket(kind.key_bucket)).get(f"{kind.name}.{key}")
            if kind.bucket.kind == "kv":
                stored = await (await self._kv_bucket(kind.bucket)).get(key)
                blob, revision = stored.value, stored.revision or 0
            else:
                blob = await self._object_data(kind.bucket, key)
        except (KeyNotFoundError, ObjectNotFoundError, NotFoundError):
            raise RecordNotFound(f"no {kind.name} record {key}") from None
        if not entry.value or not blob:
            raise RecordNotFound(f"no {kind.name} record {key}")
        data_key = self._data_key(kind, key, entry.value)
        try:
            return open_blob(data_key, blob, _aad(kind, key, "data")), revision
        except DecryptionError as exc:
            raise self._unreadable(kind, key, exc) from None

    async def _object_data(self, bucket: BucketSpec, key: str) -> bytes:
        """An object's bytes; RecordNotFound when retention (or a delete) took its chunks,
        which go before its description (they were written first)."""
        store = await self._object_store(bucket)
        info = await store.get_info(key)
        if not await self._chunks_complete(bucket, info.nuid, info.chunks):
            raise RecordNotFound(f"no {bucket.name} object {key}")
        try:
            return (await asyncio.wait_for(store.get(key), OBJECT_READ_TIMEOUT)).data or b""
        except TimeoutError:
            # The chunks went between the check and the read, or the server stalled: only
            # the first is "not found"; a stall stays an error, so the caller retries.
            if not await self._chunks_complete(bucket, info.nuid, info.chunks):
                raise RecordNotFound(f"no {bucket.name} object {key}") from None
            raise

    async def _chunks_complete(
        self, bucket: BucketSpec, nuid: str | None, chunks: int | None
    ) -> bool:
        subject = f"$O.{bucket.name}.C.{nuid}"
        stored = await self._js.stream_info(f"OBJ_{bucket.name}", subjects_filter=subject)
        return sum((stored.state.subjects or {}).values()) >= (chunks or 0)

    async def replace(self, kind_name: str, record_id: str, data: bytes, revision: int) -> None:
        """A new version of a KV-kind record, only over `revision` (else RecordChanged):
        one compare-and-set write under the data key the record already has."""
        kind = self._kind(kind_name)
        key = _check_id(record_id)
        if kind.bucket.kind != "kv":
            raise UnknownKind(f"{kind.name} records are not replaced in place")
        try:
            entry = await (await self._kv_bucket(kind.key_bucket)).get(f"{kind.name}.{key}")
        except (KeyNotFoundError, NotFoundError):
            raise RecordNotFound(f"no {kind.name} record {key}") from None
        data_key = self._data_key(kind, key, entry.value or b"")
        blob = seal_with(data_key, data, _aad(kind, key, "data"))
        try:
            await (await self._kv_bucket(kind.bucket)).update(key, blob, last=revision)
        except (KeyWrongLastSequenceError, BadRequestError) as exc:
            raise RecordChanged(key) from exc

    def _data_key(self, kind: PersonalDataKind, key: str, wrapped: bytes) -> bytes:
        try:
            return unwrap(self._ring, wrapped, _aad(kind, key, "key"))
        except DecryptionError as exc:
            raise self._unreadable(kind, key, exc) from None

    @staticmethod
    def _unreadable(kind: PersonalDataKind, key: str, exc: DecryptionError) -> RecordUnreadable:
        RECORDS_UNREADABLE.labels(kind.name).inc()
        return RecordUnreadable(f"{kind.name} record {key} does not open: {exc}")

    async def delete(self, kind_name: str, record_id: str) -> None:
        """Remove the record and its key; deleting what is not there is not an error."""
        kind = self._kind(kind_name)
        key = _check_id(record_id)
        try:
            # The key first: from this moment every copy of the record is unreadable.
            await (await self._kv_bucket(kind.key_bucket)).purge(f"{kind.name}.{key}")
            if kind.bucket.kind == "kv":
                await (await self._kv_bucket(kind.bucket)).purge(key)
            else:
                await (await self._object_store(kind.bucket)).delete(key)
        except (KeyNotFoundError, ObjectNotFoundError, NotFoundError):
            return

    async def rewrap(self) -> tuple[int, int]:
        """Move every live data key to the current KEK: (rewrapped, unreadable). A key whose
        KEK is gone stays as it is (its record is already unreadable) and is counted."""
        count = unreadable = 0
        buckets = {kind.key_bucket.name: kind.key_bucket for kind in self._kinds.values()}
        for bucket in buckets.values():
            kv = await self._kv_bucket(bucket)
            for name in await keys_matching(kv, ">"):
                try:
                    entry = await kv.get(name)
                except (KeyNotFoundError, NotFoundError):
                    continue
                if not entry.value or entry.value.startswith(self._ring.current.encode() + b":"):
                    continue
                kind_name, _, record_id = name.partition(".")
                kind = self._kind(kind_name)
                try:
                    data_key = unwrap(self._ring, entry.value, _aad(kind, record_id, "key"))
                except DecryptionError:
                    unreadable += 1
                    continue
                rewrapped = wrap(self._ring, data_key, _aad(kind, record_id, "key"))
                await kv.update(name, rewrapped, last=entry.revision)
                count += 1
        return count, unreadable


def open_pi_store(js: JetStreamContext, data_dir: Path) -> PersonalDataStore:
    """The store with the key ring of this deployment (`--data/keys`, or the environment)."""
    return PersonalDataStore(js, KeyRing.load(data_dir / "keys"))
