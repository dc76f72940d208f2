"""Where the applications room keeps things: procedures (config KV), each application's
status (KV, no PI, key `<org>.<application_id>` so one org's listing reads that org's keys
only), its answers and attachments (the personal-data store, encrypted)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from nats.js import JetStreamContext

from events.catalog import APPLICATION_INDEX, CONFIG
from infra.kv import (
    RecordChanged,
    find_key,
    get_record,
    get_value,
    list_records,
    open_kv,
    put_record,
    retry_on_change,
)
from infra.pi_store import PersonalDataStore, RecordNotFound
from schemas.applications import ApplicationContent, ApplicationState, RegisteredProcedure

log = logging.getLogger("madoguchi.applications")
CONTENT_KIND = "application"
ATTACHMENT_KIND = "attachment"


def _procedure_key(procedure_id: str) -> str:
    return f"procedure.{procedure_id}"


class ProcedureTaken(Exception):
    """The procedure id belongs to another organisation (ids are unique across the city)."""

    def __init__(self, owner: str) -> None:
        super().__init__(owner)
        self.owner = owner


async def save_procedure(js: JetStreamContext, registered: RegisteredProcedure) -> bool:
    """Register or replace a procedure of its org; True when it replaced one. Written over
    the revision read (or only if new), so two orgs racing for one id cannot both win."""
    kv = await open_kv(js, CONFIG.name)
    key = _procedure_key(registered.procedure.id)

    async def claim() -> bool:
        found = await get_record(kv, key, RegisteredProcedure)
        if found is not None and found[0].org != registered.org:
            raise ProcedureTaken(found[0].org)
        await put_record(kv, key, registered, found[1] if found else 0)
        return found is not None

    return await retry_on_change(key, claim)


async def load_procedure(js: JetStreamContext, procedure_id: str) -> RegisteredProcedure | None:
    kv = await open_kv(js, CONFIG.name)
    return await get_value(kv, _procedure_key(procedure_id), RegisteredProcedure)


async def list_procedures(
    js: JetStreamContext, org: str | None = None
) -> list[RegisteredProcedure]:
    kv = await open_kv(js, CONFIG.name)
    found = await list_records(kv, "procedure.*", RegisteredProcedure)
    listed = [record for _, record, _ in found if org is None or record.org == org]
    return sorted(listed, key=lambda r: (r.org, r.procedure.id))


async def load_state(
    js: JetStreamContext, application_id: str
) -> tuple[ApplicationState, int] | None:
    """The status and its revision, wherever the application's org is."""
    kv = await open_kv(js, APPLICATION_INDEX.name)
    key = await find_key(kv, f"*.{application_id}")
    return None if key is None else await get_record(kv, key, ApplicationState)


async def save_state(js: JetStreamContext, state: ApplicationState, revision: int | None) -> int:
    kv = await open_kv(js, APPLICATION_INDEX.name)
    return await put_record(kv, f"{state.org}.{state.application_id}", state, revision)


async def move_legacy_keys(js: JetStreamContext) -> int:
    """Before 0.6 a status was keyed by the application id alone: key each under its org
    (`<org>.<id>`), then drop the old key. Idempotent, safe in several processes at once."""
    kv = await open_kv(js, APPLICATION_INDEX.name)
    moved = 0
    for key, state, _ in await list_records(kv, "*", ApplicationState):
        with contextlib.suppress(RecordChanged):  # another process moved it first
            await put_record(kv, f"{state.org}.{state.application_id}", state, 0)
        await kv.purge(key)
        moved += 1
    return moved


async def keep_keys_current(js: JetStreamContext) -> None:
    """At start: move statuses kept under their pre-0.6 keys; then nothing more to do (a
    background task that returns is started again, so this one waits)."""
    if moved := await move_legacy_keys(js):
        log.info("applications keyed by their org", extra={"applications": moved})
    await asyncio.Event().wait()


async def list_states(js: JetStreamContext, org: str) -> list[ApplicationState]:
    kv = await open_kv(js, APPLICATION_INDEX.name)
    listed = [state for _, state, _ in await list_records(kv, f"{org}.*", ApplicationState)]
    return sorted(listed, key=lambda s: s.submitted_at)


async def save_content(store: PersonalDataStore, content: ApplicationContent) -> None:
    await store.put(CONTENT_KIND, content.application_id, content.model_dump_json().encode())


async def load_content(store: PersonalDataStore, application_id: str) -> ApplicationContent | None:
    try:
        return ApplicationContent.model_validate_json(await store.get(CONTENT_KIND, application_id))
    except RecordNotFound:
        return None


def attachment_id(application_id: str, revision: int, number: int) -> str:
    return f"{application_id}-r{revision}-{number}"


async def save_attachment(
    store: PersonalDataStore, application_id: str, revision: int, number: int, data: bytes
) -> None:
    await store.put(ATTACHMENT_KIND, attachment_id(application_id, revision, number), data)


async def load_attachment(
    store: PersonalDataStore, application_id: str, revision: int, number: int
) -> bytes | None:
    try:
        return await store.get(ATTACHMENT_KIND, attachment_id(application_id, revision, number))
    except RecordNotFound:
        return None


async def forget_attachments(
    store: PersonalDataStore, application_id: str, revision: int, count: int
) -> None:
    for number in range(1, count + 1):
        await store.delete(ATTACHMENT_KIND, attachment_id(application_id, revision, number))
