"""Where the OCR room keeps things: templates and the status index (not PI) in KV, results
(PI) in the personal-data store. Thin adapters; decisions live in `reading` and `intake`."""

from __future__ import annotations

from nats.js import JetStreamContext

from events.catalog import CONFIG, DOCUMENT_INDEX
from handlers.ocr.export import headers_for, table
from infra.kv import get_value, list_records, open_kv, put_record
from infra.pi_store import PersonalDataStore, RecordNotFound
from schemas.forms import FormTemplate
from schemas.ocr import DocumentResult, DocumentStatus

RESULT_KIND = "ocr_result"
SCAN_KIND = "scan"


def _template_key(org: str, template_id: str) -> str:
    return f"template.{org}.{template_id}"


async def save_template(js: JetStreamContext, org: str, template: FormTemplate) -> None:
    kv = await open_kv(js, CONFIG.name)
    await put_record(kv, _template_key(org, template.id), template, None)


async def load_template(js: JetStreamContext, org: str, template_id: str) -> FormTemplate | None:
    kv = await open_kv(js, CONFIG.name)
    return await get_value(kv, _template_key(org, template_id), FormTemplate)


async def list_templates(js: JetStreamContext, org: str) -> list[FormTemplate]:
    kv = await open_kv(js, CONFIG.name)
    found = await list_records(kv, f"template.{org}.*", FormTemplate)
    return sorted((template for _, template, _ in found), key=lambda t: t.id)


def _status_key(org: str, document_id: str) -> str:
    return f"{org}.{document_id}"


async def put_status(js: JetStreamContext, status: DocumentStatus) -> None:
    kv = await open_kv(js, DOCUMENT_INDEX.name)
    await put_record(kv, _status_key(status.org, status.document_id), status, None)


async def get_status(js: JetStreamContext, org: str, document_id: str) -> DocumentStatus | None:
    kv = await open_kv(js, DOCUMENT_INDEX.name)
    return await get_value(kv, _status_key(org, document_id), DocumentStatus)


async def list_statuses(js: JetStreamContext, org: str) -> list[DocumentStatus]:
    kv = await open_kv(js, DOCUMENT_INDEX.name)
    found = await list_records(kv, f"{org}.*", DocumentStatus)
    return sorted((status for _, status, _ in found), key=lambda s: s.scanned_at)


async def save_result(store: PersonalDataStore, result: DocumentResult) -> None:
    await store.put(RESULT_KIND, result.document_id, result.model_dump_json().encode())


async def load_result(store: PersonalDataStore, document_id: str) -> DocumentResult | None:
    found = await read_result(store, document_id)
    return found[0] if found else None


async def read_result(
    store: PersonalDataStore, document_id: str
) -> tuple[DocumentResult, int] | None:
    """The result and its revision (for `replace_result`), or None when it is gone."""
    try:
        data, revision = await store.read(RESULT_KIND, document_id)
    except RecordNotFound:
        return None
    return DocumentResult.model_validate_json(data), revision


async def replace_result(store: PersonalDataStore, result: DocumentResult, revision: int) -> None:
    """Write staff corrections over the revision they started from, else RecordChanged."""
    await store.replace(
        RESULT_KIND, result.document_id, result.model_dump_json().encode(), revision
    )


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
