"""Where the OCR room keeps things: templates and the status index (not PI) in KV, results
(PI) in the personal-data store. Thin adapters; decisions live in `reading` and `intake`."""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError, NotFoundError

from events.catalog import CONFIG, DOCUMENT_INDEX
from handlers.ocr.export import headers_for, table
from infra.kv import keys_matching, open_kv
from infra.pi_store import PersonalDataStore, RecordNotFound
from schemas.forms import FormTemplate
from schemas.ocr import DocumentResult, DocumentStatus

RESULT_KIND = "ocr_result"
SCAN_KIND = "scan"


def _template_key(org: str, template_id: str) -> str:
    return f"template.{org}.{template_id}"


async def save_template(js: JetStreamContext, org: str, template: FormTemplate) -> None:
    kv = await open_kv(js, CONFIG.name)
    await kv.put(_template_key(org, template.id), template.model_dump_json().encode())


async def load_template(js: JetStreamContext, org: str, template_id: str) -> FormTemplate | None:
    kv = await open_kv(js, CONFIG.name)
    try:
        entry = await kv.get(_template_key(org, template_id))
    except (KeyNotFoundError, NotFoundError):
        return None
    return FormTemplate.model_validate_json(entry.value or b"")


async def list_templates(js: JetStreamContext, org: str) -> list[FormTemplate]:
    kv = await open_kv(js, CONFIG.name)
    keys = await keys_matching(kv, f"template.{org}.*")
    templates = [await load_template(js, org, key.rsplit(".", 1)[1]) for key in keys]
    return sorted((t for t in templates if t is not None), key=lambda t: t.id)


def _status_key(org: str, document_id: str) -> str:
    return f"{org}.{document_id}"


async def put_status(js: JetStreamContext, status: DocumentStatus) -> None:
    kv = await open_kv(js, DOCUMENT_INDEX.name)
    await kv.put(_status_key(status.org, status.document_id), status.model_dump_json().encode())


async def get_status(js: JetStreamContext, org: str, document_id: str) -> DocumentStatus | None:
    kv = await open_kv(js, DOCUMENT_INDEX.name)
    try:
        entry = await kv.get(_status_key(org, document_id))
    except (KeyNotFoundError, NotFoundError):
        return None
    return DocumentStatus.model_validate_json(entry.value) if entry.value else None


async def list_statuses(js: JetStreamContext, org: str) -> list[DocumentStatus]:
    kv = await open_kv(js, DOCUMENT_INDEX.name)
    keys = await keys_matching(kv, f"{org}.*")
    found = [await get_status(js, org, key.split(".", 1)[1]) for key in keys]
    return sorted((s for s in found if s is not None), key=lambda s: s.scanned_at)


async def save_result(store: PersonalDataStore, result: DocumentResult) -> None:
    await store.put(RESULT_KIND, result.document_id, result.model_dump_json().encode())


async def load_result(store: PersonalDataStore, document_id: str) -> DocumentResult | None:
    try:
        return DocumentResult.model_validate_json(await store.get(RESULT_KIND, document_id))
    except RecordNotFound:
        return None


async def export_table(
    js: JetStreamContext, store: PersonalDataStore, org: str
) -> tuple[list[str], list[str], list[dict[str, object]]]:
    """Columns, their headers and the rows of ORG's digitised data (see `export.table`)."""
    statuses = await list_statuses(js, org)
    results = {}
    for status in statuses:
        if (found := await load_result(store, status.document_id)) is not None:
            results[status.document_id] = found
    templates = await list_templates(js, org)
    columns, rows = table(statuses, results, templates)
    return columns, headers_for(columns, templates), rows
