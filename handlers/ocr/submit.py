"""Handing in a scan (command line, hot folder, HTTP): store it, index it, announce it.

A file refused by the precheck (empty, too big, not a scan) is not stored: its refusal is
announced at once as `document.rejected`, so whoever waits for it hears back.
"""

from __future__ import annotations

from dataclasses import dataclass

from nats.js import JetStreamContext

from events.envelope import new_event_id, publish_event
from handlers.ocr import records
from handlers.ocr.intake import SNIFF_BYTES, Limits, Rejection, precheck
from infra.pi_store import PersonalDataStore
from schemas.events import DocumentRejected, DocumentScanned, ScanSource
from schemas.ocr import DocumentResult, DocumentStatus

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "tiff": "image/tiff",
    "png": "image/png",
    "jpeg": "image/jpeg",
}


@dataclass(frozen=True)
class Submitted:
    document_id: str
    rejection: Rejection | None


async def submit_scan(
    js: JetStreamContext,
    store: PersonalDataStore,
    *,
    org: str,
    data: bytes,
    template_id: str | None,
    personal_info: bool,
    source: ScanSource,
    limits: Limits,
    document_id: str | None = None,
) -> Submitted:
    """`document_id` may be given (a hot folder derives it from the file) so a retry is a repeat."""
    document_id = document_id or new_event_id()
    kind = precheck(len(data), data[:SNIFF_BYTES], limits)
    if isinstance(kind, Rejection):
        result = DocumentResult(
            document_id=document_id, status="rejected", reason=kind.reason, template_id=template_id
        )
        await records.save_result(store, result)
        await records.put_status(
            js,
            DocumentStatus(
                document_id=document_id,
                org=org,
                status="rejected",
                template_id=template_id,
                personal_info=personal_info,
                reason_code=kind.code,
                reason=kind.reason,
            ),
        )
        await publish_event(
            js,
            DocumentRejected(
                event_id=f"{document_id}-precheck",
                org=org,
                document_id=document_id,
                reason_code=kind.code,
                reason=kind.reason,
            ),
        )
        return Submitted(document_id, kind)
    await store.put(records.SCAN_KIND, document_id, data)
    await records.put_status(
        js,
        DocumentStatus(
            document_id=document_id,
            org=org,
            status="queued",
            template_id=template_id,
            personal_info=personal_info,
        ),
    )
    await publish_event(
        js,
        DocumentScanned(
            event_id=f"{document_id}-scanned",
            org=org,
            document_id=document_id,
            template_id=template_id,
            personal_info=personal_info,
            content_type=CONTENT_TYPES[kind],
            size_bytes=len(data),
            source=source,
        ),
    )
    return Submitted(document_id, None)
