"""Staff pages for scanned documents: the list (live), the verification screen, page images."""

from __future__ import annotations

from nats.js import JetStreamContext
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from handlers.dashboard.pages import Pages, page
from handlers.ocr import records
from handlers.ocr.reads import gone, read_result_as
from handlers.shared.uploads import SNIFF_BYTES, Limits, Rejection, precheck
from infra.ocr.engine import OcrEngine
from infra.pi_store import PersonalDataStore, RecordNotFound
from infra.web import ApiError
from schemas.accounts import Session
from schemas.forms import FormTemplate
from schemas.ocr import DocumentResult, DocumentStatus
from schemas.settings import PasswordSettings

STATUS_LABELS = {"queued": "読取中", "completed": "完了", "rejected": "受付不可", "failed": "失敗"}
HOME_BY_ROLE = {
    "staff": "/staff/documents",
    "org_admin": "/staff/documents",
    "payment_operator": "/staff/payments",
    "admin": "/staff/admin",
}


async def sign_in_page(request: Request, pages: Pages, password: PasswordSettings) -> Response:
    min_length = password.min_length
    try:
        session = await pages.guard.session(request, password_change=True)
    except ApiError:
        return pages.render(request, "signin.html", None, min_length=min_length)
    if session.password_change_only:
        return pages.render(request, "signin.html", session, expired=True, min_length=min_length)
    return RedirectResponse("/staff/home", status_code=303)


async def home(request: Request, pages: Pages) -> Response:
    try:
        session = await pages.guard.session(request)
    except ApiError:
        return RedirectResponse("/staff/", status_code=303)
    target = HOME_BY_ROLE.get(session.principal.role)
    if target is None:
        reason = "監査担当の方は、監査記録を madoguchi audit replay で確認してください。"
        return pages.render(request, "refused.html", session, 403, reason=reason)
    return RedirectResponse(target, status_code=303)


def _filtered(request: Request, statuses: list[DocumentStatus]) -> list[DocumentStatus]:
    status = request.query_params.get("status") or None
    template = request.query_params.get("template") or None
    review = request.query_params.get("review") == "1"
    return [
        s
        for s in reversed(statuses)
        if (status is None or s.status == status)
        and (template is None or s.template_id == template)
        and (not review or (s.fields_needing_review > 0 and not s.verified))
    ]


@page
async def documents(request: Request, pages: Pages, js: JetStreamContext) -> Response:
    session, who = await pages.allowed(request, "document.read")
    listed = _filtered(request, await records.list_statuses(js, who.org))
    name = "document_rows.html" if request.query_params.get("rows") == "1" else "documents.html"
    return pages.render(
        request,
        name,
        session,
        documents=listed,
        templates=await records.list_templates(js, who.org),
        labels=STATUS_LABELS,
        query=request.query_params,
    )


async def _readable(
    request: Request, pages: Pages, js: JetStreamContext, retention: float
) -> tuple[Session, DocumentStatus]:
    """The caller's session and document, if they may verify it; the read is audited.
    `retention`: seconds a document is kept (settings' retention.ocr), told when it is gone."""
    session, who = await pages.allowed(request, "document.read")
    status = await records.get_status(js, who.org, request.path_params["document_id"])
    if status is None:
        raise pages.missing(request, session, gone(retention))
    await pages.allowed(request, "document.verify", personal_info=status.personal_info)
    return session, status


# Crops are drawn at 150 px per inch of paper (1.5 times real size on a 96 dpi screen) from
# page images rendered at 200 dpi, so a field's characters are as legible as on the paper.
CROP_PX_PER_MM = 150 / 25.4
PREVIEW_DPI = 200
CROP_MARGIN_MM = 2.0
# Why a field was flagged (`review_reason` in a result), as staff read it.
REVIEW_REASONS = {
    "ink_unread": "記入がありますが読み取れませんでした。画像を見て入力してください。",
    "implausible": "ありえない値として読み取りました（日付・桁数など）。画像と照らしてください。",
    "confusable": "見分けにくい文字があります（0 と O、1 と l など）。",
    "low_confidence": "読み取りの確からしさが低い項目です。",
    "handwritten_text": "手書きの文章は自動では読み取りません。画像を見て入力してください。",
    "uncertain_mark": "チェックか汚れか判断できませんでした。画像で確かめてください。",
    "not_aligned": "用紙の位置を様式に合わせられませんでした。画像で記入欄を確かめてください。",
    "page_missing": "様式のこのページがスキャンにありません。",
    "no_mark": "どの選択肢にも印が見つかりませんでした。",
    "several_marks": "印が複数あります。一つだけ選ぶ項目です。",
}
NOT_READ = "読み取り結果がありません。画像を見て入力してください。"
TO_CHECK = "確認が必要です。"


def crop_region(
    box_mm: tuple[float, float, float, float], page_mm: tuple[float, float]
) -> tuple[float, float, float, float]:
    """The part of the page a field's crop shows: its box with a margin, inside the page (pure)."""
    page_w, page_h = page_mm
    left, top = max(box_mm[0] - CROP_MARGIN_MM, 0), max(box_mm[1] - CROP_MARGIN_MM, 0)
    right = min(box_mm[0] + box_mm[2] + CROP_MARGIN_MM, page_w)
    bottom = min(box_mm[1] + box_mm[3] + CROP_MARGIN_MM, page_h)
    return (left, top, right - left, bottom - top)


def outline_percent(
    box_mm: tuple[float, float, float, float], page_mm: tuple[float, float]
) -> tuple[float, float, float, float]:
    """The field's box on the page image, in percent of the page (pure)."""
    page_w, page_h = page_mm
    x, y, w, h = box_mm
    return (x / page_w * 100, y / page_h * 100, w / page_w * 100, h / page_h * 100)


def reason_text(needs_review: bool, read: bool, code: str | None) -> str | None:
    """Why staff should look at a field, in Japanese; None when nothing is doubtful (pure)."""
    if not needs_review:
        return None
    if not read:
        return NOT_READ
    return REVIEW_REASONS.get(code or "", TO_CHECK)


def _numbers(values: tuple[float, ...]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


def field_rows(template: FormTemplate, result: DocumentResult) -> list[dict[str, object]]:
    """Each field as the verification screen shows it, flagged ones first (the data-entry
    order, kept by the page's DOM order): staff corrections over readings (pure)."""
    rows: list[dict[str, object]] = []
    for field in template.fields:
        read = result.fields.get(field.name)
        verified = field.name in result.verified
        needs_review = not verified and (read is None or read.needs_review)
        code = read.review_reason if read else None
        rows.append(
            {
                "field": field,
                "value": result.verified[field.name] if verified else (read and read.value),
                "confidence": 100.0 if verified else (read.confidence if read else 0.0),
                "needs_review": needs_review,
                "reason": reason_text(needs_review, read is not None, code),
                "hand": field.hand,
                "crop": _numbers(crop_region(field.box_mm, template.page_size_mm)),
                "outline": _numbers(outline_percent(field.box_mm, template.page_size_mm)),
            }
        )
    return sorted(rows, key=lambda row: not row["needs_review"])


def preview_width(template: FormTemplate | None) -> int:
    """Page images PREVIEW_DPI across the form's width (A4 when there is no template)."""
    page_w = template.page_size_mm[0] if template else 210.0
    return max(800, min(4000, round(page_w / 25.4 * PREVIEW_DPI)))


@page
async def verify(
    request: Request,
    pages: Pages,
    js: JetStreamContext,
    store: PersonalDataStore,
    retention: float,
) -> Response:
    session, status = await _readable(request, pages, js, retention)
    who = session.principal
    found = await read_result_as(who, "document.verify", status, store, pages.guard, request)
    if found is None:
        raise pages.missing(request, session, gone(retention))
    result, revision = found  # saved back with If-Match: a save in between is refused (409)
    template: FormTemplate | None = None
    if status.template_id:
        template = await records.load_template(js, who.org, status.template_id)
    fields = field_rows(template, result) if template else []
    return pages.render(
        request,
        "document.html",
        session,
        status=status,
        result=result.public(),
        flagged=[f for f in fields if f["needs_review"]],
        others=[f for f in fields if not f["needs_review"]],
        template=template,
        labels=STATUS_LABELS,
        revision=revision,
        px_per_mm=CROP_PX_PER_MM,
        notice="保存しました。" if request.query_params.get("saved") == "1" else "",
    )


@page
async def page_image(
    request: Request,
    pages: Pages,
    js: JetStreamContext,
    store: PersonalDataStore,
    ocr: OcrEngine,
    limits: Limits,
    retention: float,
) -> Response:
    """`limits`: the upload limits the scan was taken under (its kind is sniffed again)."""
    session, status = await _readable(request, pages, js, retention)
    try:
        scan = await store.get(records.SCAN_KIND, status.document_id)
    except RecordNotFound:
        return Response(status_code=404)
    kind = precheck(len(scan), scan[:SNIFF_BYTES], limits)
    number = int(request.path_params["number"])
    if isinstance(kind, Rejection) or not 1 <= number <= max(status.pages, 1):
        return Response(status_code=404)
    template = None
    if status.template_id:
        template = await records.load_template(js, status.org, status.template_id)
    png = await ocr.preview(scan, kind, number - 1, preview_width(template))
    if status.personal_info:  # the scan shows what the result holds, and more: a read as well
        resource = f"{status.document_id}/pages/{number}"
        await pages.guard.record_pi_read(request, session.principal, resource, "document.verify")
    return Response(png, media_type="image/png")  # no-store, as every answer (SecurityHeaders)
