"""The OCR room over HTTP: upload, list, read one, correct fields, export (staff only).

Every route asks the guard first; documents are looked up under the caller's own org, so
another org's document id is simply not found.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import partial

from faststream.nats import NatsBroker
from nats.js import JetStreamContext
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from events.envelope import Publisher, new_event_id
from handlers.identity.authz import Action
from handlers.identity.guard import Guard
from handlers.ocr import records
from handlers.ocr.corrections import CorrectionError, checked_corrections
from handlers.ocr.export import to_csv
from handlers.ocr.reads import gone, read_result_as
from handlers.ocr.submit import submit_scan
from handlers.shared.uploads import Limits
from infra.http import KB, read_form, read_object
from infra.kv import RecordChanged
from infra.pi_store import PersonalDataStore
from infra.web import ApiError
from schemas.accounts import Principal
from schemas.events import DataExported, OcrVerified, utc_now
from schemas.ocr import DocumentResult, DocumentStatus

# On a Shift_JIS export: how many characters it could not hold (written as "?").
REPLACED_HEADER = "Madoguchi-Replaced-Characters"

VERIFIED = Publisher("ocr", "web:correct_fields", OcrVerified)
# Two clerks saving the same document: the second is told, and loses nothing silently.
CHANGED = ApiError(
    409,
    "changed",
    "他の職員がこの文書を先に保存しました。読み込み直して内容を確認してから、もう一度保存してください。",
)
FORM_OVERHEAD = 64 * KB  # the form's other fields and part headers beside the scan


@dataclass(frozen=True)
class DocumentDesk:
    """What the document routes work with: the index and templates (`js`), the PI store with
    scans and results, the bus for verifications, the upload limits, how long a document is
    kept (seconds: told when one is gone)."""

    js: JetStreamContext
    store: PersonalDataStore
    broker: NatsBroker
    limits: Limits
    retention: float


def _truthy(value: object) -> bool:
    return str(value or "").strip().lower() in ("1", "true", "on", "yes")


async def upload(request: Request, desk: DocumentDesk, guard: Guard) -> Response:
    limits = desk.limits
    await guard.authorize(request, "document.upload")  # before a byte of the body is read
    cap = limits.max_bytes + FORM_OVERHEAD
    async with read_form(request, cap, max_files=1, max_fields=10) as form:
        personal_info = _truthy(form.get("personal_info"))
        template_id = str(form.get("template") or "").strip() or None
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise ApiError(400, "file_missing", "ファイルを選んでください。")
        data = await file.read(limits.max_bytes + 1)  # one byte over is enough to refuse
    who = await guard.authorize(request, "document.upload", personal_info=personal_info)
    if template_id and await records.load_template(desk.js, who.org, template_id) is None:
        raise ApiError(400, "unknown_template", {"template": template_id})
    submitted = await submit_scan(
        desk.js,
        desk.store,
        org=who.org,
        data=data,
        template_id=template_id,
        personal_info=personal_info,
        source="http",
        limits=limits,
    )
    return JSONResponse({"document_id": submitted.document_id}, status_code=202)


async def list_documents(request: Request, desk: DocumentDesk, guard: Guard) -> Response:
    who = await guard.authorize(request, "document.read")
    statuses = await records.list_statuses(desk.js, who.org)
    listing = [s.model_dump(mode="json", exclude={"reason_code"}) for s in statuses]
    return JSONResponse(listing)


async def _document(
    request: Request, action: Action, desk: DocumentDesk, guard: Guard
) -> tuple[Principal, DocumentStatus, DocumentResult, int]:
    """The caller's document and its result's revision, if they may take `action` on it;
    PI reads are audited."""
    session_org = (await guard.authorize(request, "document.read")).org
    status = await records.get_status(desk.js, session_org, request.path_params["document_id"])
    if status is None:
        raise ApiError(404, "not_found", gone(desk.retention))
    who = await guard.authorize(request, action, personal_info=status.personal_info)
    found = await read_result_as(who, action, status, desk.store, guard, request)
    if found is None:
        raise ApiError(404, "not_found", gone(desk.retention))
    result, revision = found
    return who, status, result, revision


def _shown(result: DocumentResult, revision: int) -> JSONResponse:
    """The document with its revision, also as an ETag for `If-Match` on corrections."""
    body = {**result.public(), "revision": revision}
    return JSONResponse(body, headers={"ETag": f'"{revision}"'})


def _expected_revision(request: Request, read: int) -> int:
    """The revision the clerk started from (`If-Match`), else the one just read."""
    given = request.headers.get("if-match", "").removeprefix("W/").strip('" ')
    if not given:
        return read
    if not given.isdigit():
        raise ApiError(400, "invalid_request", "If-Match には文書の revision を指定してください。")
    return int(given)


async def get_document(request: Request, desk: DocumentDesk, guard: Guard) -> Response:
    _, _, result, revision = await _document(request, "document.read", desk, guard)
    return _shown(result, revision)


async def correct_fields(request: Request, desk: DocumentDesk, guard: Guard) -> Response:
    who, status, result, revision = await _document(request, "document.verify", desk, guard)
    if _expected_revision(request, revision) != revision:
        raise CHANGED
    corrections = await read_object(request)
    if not corrections:
        raise ApiError(400, "invalid_request", "項目名と値の組を送ってください。")
    template = await records.load_template(desk.js, who.org, status.template_id or "")
    if template is None:
        raise ApiError(400, "no_template", "様式のない文書には項目がありません。")
    try:
        checked = checked_corrections(template, corrections, date.today())
    except CorrectionError as exc:
        raise ApiError(400, "invalid_value", {"field": exc.field, "problem": exc.problem}) from None
    corrected = result.model_copy(update={"verified": {**result.verified, **checked}})
    try:
        await records.replace_result(desk.store, corrected, revision)
    except RecordChanged:
        raise CHANGED from None
    await records.put_status(
        desk.js,
        status.model_copy(
            update={"verified": True, "verified_by": who.login, "verified_at": utc_now()}
        ),
    )
    await VERIFIED(
        desk.broker,
        OcrVerified(
            event_id=new_event_id(),
            org=who.org,
            document_id=status.document_id,
            fields_changed=sorted(checked),
            actor_id=who.login,
        ),
    )
    read_back = await records.read_result(desk.store, status.document_id)
    return _shown(corrected, read_back[1] if read_back else revision)


async def export(request: Request, desk: DocumentDesk, guard: Guard) -> Response:
    fmt = request.query_params.get("format", "csv")
    encoding = request.query_params.get("encoding", "utf-8-sig")
    if fmt not in ("csv", "json") or encoding not in ("utf-8-sig", "cp932"):
        raise ApiError(
            400, "invalid_request", "format は csv/json、encoding は utf-8-sig/cp932 です。"
        )
    who = await guard.authorize(request, "document.export", personal_info=True)
    columns, headers, rows = await records.export_table(desk.js, desk.store, who.org)
    await guard.record_access(request, DataExported, who.org, who.login, rows=len(rows))
    if fmt == "json":
        return JSONResponse(json.loads(json.dumps(rows, default=str)))
    data, replaced = to_csv(columns, headers, rows, encoding)
    name = f"madoguchi-{who.org}-{date.today():%Y%m%d}.csv"
    counted = {REPLACED_HEADER: str(replaced)} if encoding == "cp932" else {}
    return Response(
        data,
        media_type=f"text/csv; charset={'shift_jis' if encoding == 'cp932' else 'utf-8'}",
        headers={**counted, "Content-Disposition": f'attachment; filename="{name}"'},
    )


def routes(desk: DocumentDesk, guard: Guard) -> list[Route]:
    return [
        Route("/api/documents", partial(upload, desk=desk, guard=guard), methods=["POST"]),
        Route("/api/documents", partial(list_documents, desk=desk, guard=guard), methods=["GET"]),
        Route(
            "/api/documents/{document_id}",
            partial(get_document, desk=desk, guard=guard),
            methods=["GET"],
        ),
        Route(
            "/api/documents/{document_id}/fields",
            partial(correct_fields, desk=desk, guard=guard),
            methods=["PATCH"],
        ),
        Route("/api/export", partial(export, desk=desk, guard=guard), methods=["GET"]),
    ]
