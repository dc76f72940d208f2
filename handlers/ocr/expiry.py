"""Deletion everywhere, driven by the store's own expiry signal (the OCR room's own records:
it alone knows their keys).

A document's personal data is its scan; when the scan's data key expires (the server's limit
marker, seen by a watcher as PURGE) or is deleted, everything derived from that document goes
at once: its OCR result and the result's key, and its entry in the document index. A staff
correction rewrites the result, so without this the result could outlive the scan.
"""

from __future__ import annotations

import logging

from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError, NotFoundError

from events.catalog import DOCUMENT_INDEX, KEYS_OCR
from handlers.ocr.records import RESULT_KIND
from infra.kv import get_record, keys_matching
from infra.pi_store import PersonalDataStore
from schemas.ocr import DocumentStatus

log = logging.getLogger("madoguchi.expiry")
GONE = frozenset({"PURGE", "DEL"})


async def forget_document(js: JetStreamContext, store: PersonalDataStore, document_id: str) -> int:
    """Remove what derives from one document; returns how many index entries went."""
    await store.delete(RESULT_KIND, document_id)
    index = await js.key_value(DOCUMENT_INDEX.name)
    keys = await keys_matching(index, f"*.{document_id}")
    for key in keys:
        try:
            await index.purge(key)
        except (KeyNotFoundError, NotFoundError):
            continue
    return len(keys)


async def sweep_orphans(js: JetStreamContext, store: PersonalDataStore) -> int:
    """Forget documents whose scan is already gone: the expiry markers are kept for a minute
    only, so a deployment that was down when a scan expired catches up here at start."""
    index = await js.key_value(DOCUMENT_INDEX.name)
    scan_keys = await js.key_value(KEYS_OCR.name)
    forgotten = 0
    for key in await keys_matching(index, "*.*"):
        document_id = key.split(".", 1)[1]
        try:
            entry = await scan_keys.get(f"scan.{document_id}")
            if entry.value:
                continue
        except (KeyNotFoundError, NotFoundError):
            pass
        status = await get_record(index, key, DocumentStatus)
        if status is None or status[0].status != "completed":
            continue  # queued, or refused before anything was stored: no scan to outlive
        forgotten += bool(await forget_document(js, store, document_id))
    return forgotten


async def follow_scan_expiry(js: JetStreamContext, store: PersonalDataStore) -> None:
    """Runs for the life of the process (any number of processes may: deleting is idempotent)."""
    swept = await sweep_orphans(js, store)
    if swept:
        log.info(
            "documents whose scan had expired: derived records removed", extra={"documents": swept}
        )
    kv = await js.key_value(KEYS_OCR.name)
    watcher = await kv.watch("scan.*")
    async for entry in watcher:
        if entry is None or entry.operation not in GONE:
            continue
        document_id = entry.key.split(".", 1)[1]
        removed = await forget_document(js, store, document_id)
        log.info(
            "document expired: derived records removed",
            extra={"document_id": document_id, "index_entries": removed},
        )
