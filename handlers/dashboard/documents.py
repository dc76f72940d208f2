"""Staff pages for scanned documents: the list (live), the verification screen, page images."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from handlers.dashboard.pages import allowed, missing, page, render
from handlers.identity.guard import current_session, record_access, runtime_of
from handlers.ocr import records
from handlers.ocr.intake import SNIFF_BYTES, Rejection, precheck
from handlers.ocr.pipeline import limits_from
from infra.pi_store import RecordNotFound
from infra.web import ApiError
from schemas.accounts import Session
from schemas.events import PersonalDataRead
from schemas.forms import FormTemplate
from schemas.ocr import DocumentResult, DocumentStatus

GONE = "文書が見つかりません。保存期間（5日）を過ぎた可能性があります。"
STATUS_LABELS = {"queued": "読取中", "completed": "完了", "rejected": "受付不可", "failed": "失敗"}
HOME_BY_ROLE = {
    "staff": "/staff/documents",
    "org_admin": "/staff/documents",
    "payment_operator": "/staff/payments",
    "admin": "/staff/admin",
}


async def sign_in_page(request: Request) -> Response:
    min_length = runtime_of(request).settings.password.min_length
    try:
        session = await current_session(request, password_change=True)
    except ApiError:
        return render(request, "signin.html", None, min_length=min_length)
    if session.password_change_only:
        return render(request, "signin.html", session, expired=True, min_length=min_length)
    return RedirectResponse("/staff/home", status_code=303)


async def home(request: Request) -> Response:
    try:
        session = await current_session(request)
    except ApiError:
        return RedirectResponse("/staff/", status_code=303)
    target = HOME_BY_ROLE.get(session.principal.role)
    if target is None:
        reason = "監査担当の方は、監査記録を madoguchi audit replay で確認してください。"
        return render(request, "refused.html", session, 403, reason=reason)
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
async def documents(request: Request) -> Response:
    session, who = await allowed(request, "document.read")
    runtime = runtime_of(request)
    listed = _filtered(request, await records.list_statuses(runtime.js, who.org))
    name = "document_rows.html" if request.query_params.get("rows") == "1" else "documents.html"
    return render(
        request,
        name,
        session,
        documents=listed,
        templates=await records.list_templates(runtime.js, who.org),
        labels=STATUS_LABELS,
        query=request.query_params,
    )


async def _readable(request: Request) -> tuple[Session, DocumentStatus]:
    """The caller's session and document, if they may verify it; the read is audited."""
    session, who = await allowed(request, "document.read")
    runtime = runtime_of(request)
    status = await records.get_status(runtime.js, who.org, request.path_params["document_id"])
    if status is None:
        raise missing(request, session, GONE)
    await allowed(request, "document.verify", personal_info=status.personal_info)
    return session, status


def crop_style(field_box: tuple[float, float, float, float], page_mm: tuple[float, float]) -> str:
    """CSS showing one field's box (with a 2 mm margin) out of the page image (pure)."""
    page_w, page_h = page_mm
    left, top = max(field_box[0] - 2, 0), max(field_box[1] - 2, 0)
    right = min(field_box[0] + field_box[2] + 2, page_w)
    bottom = min(field_box[1] + field_box[3] + 2, page_h)
    x, y, w, h = left, top, right - left, bottom - top
    pos_x = 0.0 if page_w == w else x / (page_w - w) * 100
    pos_y = 0.0 if page_h == h else y / (page_h - h) * 100
    return (
        f"aspect-ratio: {w:.2f} / {h:.2f}; background-size: {page_w / w * 100:.2f}% auto;"
        f" background-position: {pos_x:.2f}% {pos_y:.2f}%"
    )


def field_rows(template: FormTemplate, result: DocumentResult) -> list[dict[str, object]]:
    """Each field as the verification screen shows it: staff corrections over readings (pure)."""
    rows: list[dict[str, object]] = []
    for field in template.fields:
        read = result.fields.get(field.name)
        verified = field.name in result.verified
        rows.append(
            {
                "field": field,
                "value": result.verified[field.name] if verified else (read and read.value),
                "confidence": 100.0 if verified else (read.confidence if read else 0.0),
                "needs_review": not verified and (read is None or read.needs_review),
                "crop": crop_style(field.box_mm, template.page_size_mm),
            }
        )
    return rows


@page
async def verify(request: Request) -> Response:
    session, status = await _readable(request)
    runtime = runtime_of(request)
    result = await records.load_result(runtime.pi_store, status.document_id)
    if result is None:
        raise missing(request, session, "読取結果が見つかりません。")
    who = session.principal
    if status.personal_info:
        await record_access(
            request,
            PersonalDataRead,
            who.org,
            who.login,
            resource_id=status.document_id,
            action="document.verify",
        )
    template: FormTemplate | None = None
    if status.template_id:
        template = await records.load_template(runtime.js, who.org, status.template_id)
    shown = result.public()
    fields = field_rows(template, result) if template else []
    flagged = [f for f in fields if f["needs_review"]]
    return render(
        request,
        "document.html",
        session,
        status=status,
        result=shown,
        fields=fields,
        flagged=flagged,
        template=template,
        labels=STATUS_LABELS,
    )


@page
async def page_image(request: Request) -> Response:
    _, status = await _readable(request)
    runtime = runtime_of(request)
    try:
        scan = await runtime.pi_store.get(records.SCAN_KIND, status.document_id)
    except RecordNotFound:
        return Response(status_code=404, headers={"Cache-Control": "no-store"})
    kind = precheck(len(scan), scan[:SNIFF_BYTES], limits_from(runtime.settings.ocr))
    number = int(request.path_params["number"])
    if isinstance(kind, Rejection) or not 1 <= number <= max(status.pages, 1):
        return Response(status_code=404, headers={"Cache-Control": "no-store"})
    png = await runtime.ocr.preview(scan, kind, number - 1)
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})
