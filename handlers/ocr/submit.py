"""Handing in a scan (command line, hot folder, HTTP): store it, index it, announce it.

A file refused by the precheck (empty, too big, not a scan) is not stored: its refusal is
announced at once as `document.rejected`, so whoever waits for it hears back.
"""

from __future__ import annotations

from dataclasses import dataclass

from nats.js import JetStreamContext

from events.envelope import Publisher, new_event_id
from handlers.ocr import records
from handlers.shared.uploads import CONTENT_TYPES, SNIFF_BYTES, Limits, Rejection, precheck
from infra.pi_store import PersonalDataStore
from schemas.events import DocumentRejected, DocumentScanned, ScanSource
from schemas.ocr import DocumentResult, DocumentStatus

REFUSED = Publisher("ocr", "submit:refuse_scan", DocumentRejected)
SCANNED = Publisher("ocr", "submit:submit_scan", DocumentScanned)


@dataclass(frozen=True)
class Submitted:
    document_id: str
    rejection: Rejection | None


async def refuse_scan(
    js: JetStreamContext,
    store: PersonalDataStore,
    *,
    org: str,
    document_id: str,
    rejection: Rejection,
    template_id: str | None,
    personal_info: bool,
) -> None:
    """Record and announce a scan refused before it was stored (the same ids every time)."""
    result = DocumentResult(
        document_id=document_id, status="rejected", reason=rejection.reason, template_id=template_id
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
            reason_code=rejection.code,
            reason=rejection.reason,
        ),
    )
    await REFUSED(
        js,
        DocumentRejected(
            event_id=f"{document_id}-precheck",
            org=org,
            document_id=document_id,
            reason_code=rejection.code,
            reason=rejection.reason,
        ),
    )


def scanned_event(
    status: DocumentStatus, content_type: str, size_bytes: int, source: ScanSource
) -> DocumentScanned:
    """The announcement of a stored scan; its id depends on the document alone, so
    announcing it again is dropped by the stream as a repeat."""
    return DocumentScanned(
        event_id=f"{status.document_id}-scanned",
        org=status.org,
        document_id=status.document_id,
        template_id=status.template_id,
        personal_info=status.personal_info,
        content_type=content_type,
        size_bytes=size_bytes,
        source=source,
    )


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
        await refuse_scan(
            js,
            store,
            org=org,
            document_id=document_id,
            rejection=kind,
            template_id=template_id,
            personal_info=personal_info,
        )
        return Submitted(document_id, kind)
    await store.put(records.SCAN_KIND, document_id, data)
    status = DocumentStatus(
        document_id=document_id,
        org=org,
        status="queued",
        template_id=template_id,
        personal_info=personal_info,
    )
    await records.put_status(js, status)
    await SCANNED(js, scanned_event(status, CONTENT_TYPES[kind], len(data), source))
    return Submitted(document_id, None)
