"""The OCR room on the bus: `document.scanned` in, `ocr.completed` or `document.rejected` out.

Idempotent: a document already settled is not read again; its outcome event is published
again with the same id, which the stream drops as a duplicate.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from datetime import date

import nats.errors
from faststream import Context
from faststream.nats import JStream, NatsBroker, NatsMessage, NatsRouter
from nats.js import JetStreamContext

from events.catalog import DEAD_LETTERS, OCR_PROGRESS, dead_letter_subject, event_spec
from events.envelope import Publisher, caused_id
from handlers.ocr import records
from handlers.ocr.pipeline import UNKNOWN_TEMPLATE, limits_from, read_scan, rejected
from handlers.ocr.reading import mean_confidence, review_count
from infra.bus import durable_subscriber
from infra.metrics import record_ocr_document
from infra.ocr.engine import OcrEngine
from infra.pi_store import PersonalDataStore, RecordNotFound
from infra.reliability import CONSUMER_HEADER, Refused
from schemas.events import DocumentRejected, DocumentScanned, Event, OcrCompleted, OcrFailed
from schemas.forms import FormTemplate
from schemas.ocr import DocumentResult, DocumentStatus, ReadingProgress
from schemas.settings import OcrSettings

READ = Publisher("ocr", "bus:read_document", OcrCompleted, OcrFailed, DocumentRejected)
GAVE_UP_NOTICE = Publisher("ocr", "bus:gave_up", OcrCompleted, OcrFailed, DocumentRejected)

router = NatsRouter()

SCAN_MISSING = (
    "スキャンしたファイルが保存期間を過ぎたか削除されたため、読み取れませんでした。"
    "もう一度スキャンしてください。"
)
GAVE_UP_CODE = "ocr_gave_up"
GAVE_UP = "読み取り中に問題が発生しました。担当者に連絡するか、もう一度スキャンしてください。"


def outcome_event(doc: DocumentScanned, status: DocumentStatus) -> Event:
    """The event that tells the world how reading `doc` ended (the same id every time)."""
    if status.status == "completed":
        return OcrCompleted(
            event_id=caused_id(doc.event_id, "ocr.completed"),
            org=doc.org,
            document_id=doc.document_id,
            template_id=status.template_id,
            pages=status.pages,
            fields=status.fields,
            fields_needing_review=status.fields_needing_review,
            mean_confidence=status.mean_confidence,
        )
    if status.status == "rejected":
        return DocumentRejected(
            event_id=caused_id(doc.event_id, "document.rejected"),
            org=doc.org,
            document_id=doc.document_id,
            reason_code=status.reason_code or "rejected",
            reason=status.reason or "",
        )
    return OcrFailed(
        event_id=caused_id(doc.event_id, "ocr.failed"),
        org=doc.org,
        document_id=doc.document_id,
        reason_code=status.reason_code or "failed",
        reason=status.reason or GAVE_UP,
    )


def status_of(
    doc: DocumentScanned, submitted: DocumentStatus, result: DocumentResult, code: str | None
) -> DocumentStatus:
    """The document's new status; what was stored when it was handed in (its org, template and
    whether it holds personal information) is kept, whatever a later event claims."""
    return DocumentStatus(
        document_id=submitted.document_id,
        org=submitted.org,
        status=result.status,
        template_id=submitted.template_id,
        personal_info=submitted.personal_info,
        pages=len(result.pages),
        fields=len(result.fields),
        fields_needing_review=review_count(result),
        mean_confidence=mean_confidence(result),
        reason_code=code,
        reason=result.reason,
        scanned_at=submitted.scanned_at,
    )


async def submitted_status(js: JetStreamContext, doc: DocumentScanned) -> DocumentStatus:
    """The status stored when the scan was handed in to this org: a scan is owned by its
    org and id, and an announcement of a document never handed in there is refused."""
    status = await records.get_status(js, doc.org, doc.document_id)
    if status is None:
        raise Refused("unknown_document: never handed in to this organisation")
    return status


@dataclass(frozen=True)
class Reader:
    """What reading a scan uses: the scans, the OCR engine, its limits, and the bus for the
    live progress notices."""

    store: PersonalDataStore
    engine: OcrEngine
    settings: OcrSettings
    broker: NatsBroker


async def _read(
    submitted: DocumentStatus, template: FormTemplate | None, reader: Reader
) -> tuple[DocumentResult, str | None]:
    """Read the scan; the result and, when refused or failed, the reason code."""
    doc = submitted
    if doc.template_id is not None and template is None:
        return rejected(doc.document_id, UNKNOWN_TEMPLATE, doc.template_id), UNKNOWN_TEMPLATE.code
    try:
        scan = await reader.store.get(records.SCAN_KIND, doc.document_id)
    except RecordNotFound:
        missing = DocumentResult(document_id=doc.document_id, status="failed", reason=SCAN_MISSING)
        return missing, "scan_missing"
    limits = limits_from(reader.settings)

    async def progress(pages_read: int, pages_total: int) -> None:
        notice = ReadingProgress(
            document_id=doc.document_id,
            org=doc.org,
            pages_read=pages_read,
            pages_total=pages_total,
        )
        # A live notice for screens, kept by no stream: one lost costs nothing.
        with contextlib.suppress(nats.errors.Error):
            await reader.broker.connection.publish(
                OCR_PROGRESS.subject(doc.org), notice.model_dump_json().encode()
            )

    result, refusal = await read_scan(
        reader.engine, doc.document_id, scan, template, limits, date.today(), progress
    )
    return result, refusal.code if refusal else None


READER = "ocr"  # the durable consumer that reads scans


@durable_subscriber(router, event_spec(DocumentScanned), READER, description="Read a scan")
async def read_document(
    doc: DocumentScanned,
    js: JetStreamContext = Context("js"),
    broker: NatsBroker = Context("broker"),
    store: PersonalDataStore = Context("pi_store"),
    engine: OcrEngine = Context("ocr"),
    settings: OcrSettings = Context("settings.ocr"),
) -> None:
    started = time.perf_counter()
    settled = await submitted_status(js, doc)
    # A scan given up on is read again when its dead letter is replayed (after a fix).
    if settled.status != "queued" and settled.reason_code != GAVE_UP_CODE:
        await READ(broker, outcome_event(doc, settled))
        return
    template = None
    if settled.template_id is not None:
        template = await records.load_template(js, settled.org, settled.template_id)
    result, code = await _read(settled, template, Reader(store, engine, settings, broker))
    await records.save_result(store, result)
    status = status_of(doc, settled, result, code)
    await records.put_status(js, status)
    await READ(broker, outcome_event(doc, status))
    record_ocr_document(status.status, status.pages, started, doc.occurred_at)


@router.subscriber(
    dead_letter_subject(event_spec(DocumentScanned).all_orgs),
    stream=JStream(DEAD_LETTERS.name, declare=False),
    durable="ocr-gave-up",
    pull_sub=True,
    description="Tell waiting clients a scan was given up on",
)
async def gave_up(
    doc: DocumentScanned,
    msg: NatsMessage,
    js: JetStreamContext = Context("js"),
    broker: NatsBroker = Context("broker"),
) -> None:
    # Only the reader's letter fails the scan: another consumer that gave up on the same
    # event (the audit chain, say) says nothing about the reading. A letter written before
    # letters named their consumer counts as the reader's.
    consumer = (msg.raw_message.headers or {}).get(CONSUMER_HEADER, READER)
    if consumer != READER:
        return
    submitted = await submitted_status(js, doc)
    failed = DocumentResult(document_id=doc.document_id, status="failed", reason=GAVE_UP)
    status = status_of(doc, submitted, failed, GAVE_UP_CODE)
    await records.put_status(js, status)
    await GAVE_UP_NOTICE(broker, outcome_event(doc, status))
