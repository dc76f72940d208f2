"""Reading one scan, top to bottom: precheck, stage, probe, check, read pages, assemble."""

from __future__ import annotations

from datetime import date

from handlers.ocr.reading import assemble, plan_pages
from handlers.shared.uploads import SNIFF_BYTES, Limits, Rejection, check, precheck
from infra.ocr.engine import OcrEngine, PageProgress
from infra.ocr.pool import TaskTimedOut
from schemas.forms import FormTemplate
from schemas.ocr import DocumentResult
from schemas.settings import OcrSettings

UNKNOWN_TEMPLATE = Rejection(
    "unknown_template",
    "指定された様式（テンプレート）が登録されていません。様式IDを確認して、もう一度送ってください。",
)

# A file that takes a worker past its time limit (e.g. a PDF cheap to probe, costly to render).
TOO_COSTLY = Rejection(
    "too_costly",
    "読み取りに時間がかかりすぎるため中止しました。解像度やページ数を減らして、もう一度送ってください。",
)


def limits_from(settings: OcrSettings) -> Limits:
    return Limits(
        max_bytes=round(settings.max_file_mb * 1024 * 1024),
        max_pages=settings.max_pages,
        max_page_pixels=round(settings.max_page_megapixels * 1_000_000),
    )


def rejected(document_id: str, rejection: Rejection, template_id: str | None) -> DocumentResult:
    return DocumentResult(
        document_id=document_id, status="rejected", reason=rejection.reason, template_id=template_id
    )


async def read_scan(
    engine: OcrEngine,
    document_id: str,
    data: bytes,
    template: FormTemplate | None,
    limits: Limits,
    today: date,
    progress: PageProgress | None = None,
) -> tuple[DocumentResult, Rejection | None]:
    """The result, and the rejection when the file was refused before reading."""
    template_id = template.id if template else None
    kind = precheck(len(data), data[:SNIFF_BYTES], limits)
    if isinstance(kind, Rejection):
        return rejected(document_id, kind, template_id), kind
    async with engine.staged(data) as path:
        try:
            facts = await engine.probe(path, kind)
            refusal = check(facts, limits)
            if refusal is not None:
                return rejected(document_id, refusal, template_id), refusal
            tasks = plan_pages(path, kind, facts.pages, template)
            readings = await engine.read_pages(tasks, progress)
        except TaskTimedOut:
            return rejected(document_id, TOO_COSTLY, template_id), TOO_COSTLY
    return assemble(document_id, template, readings, today), None
