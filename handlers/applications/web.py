"""The applications room over HTTP (JSON): residents apply and follow their application with
its access code; staff of the owning org list, read, open attachments and review.

Reading answers or attachments is personal-data work (SJ terminals; identity documents only
on MN) and is audited as `access.pi_read`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from functools import partial

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from handlers.applications import records
from handlers.applications.access import resident_application
from handlers.applications.checkout import begin_payment
from handlers.applications.desk import ApplicationDesk
from handlers.applications.forms import read_application_form
from handlers.applications.lifecycle import TransitionRefused
from handlers.applications.review import Decision, review_application
from handlers.applications.submit import (
    ApplicationInvalid,
    resubmit_application,
    submit_application,
)
from handlers.identity.authz import Action, Resource
from handlers.identity.guard import Guard
from handlers.payments import records as payment_records
from handlers.payments.answers import refusals_answered as payment_refusals_answered
from infra.http import CONFLICT, read_object
from infra.kv import RecordChanged
from infra.web import ApiError
from schemas.accounts import Principal
from schemas.applications import ApplicationState, RegisteredProcedure, is_identity_document
from schemas.forms import TEMPLATE_ID_PATTERN

NOT_FOUND = ApiError(404, "not_found", "申請が見つかりません。保存期間を過ぎた可能性があります。")
UNKNOWN_PROCEDURE = ApiError(400, "unknown_procedure", "この手続は受け付けていません。")
PROCEDURE_ID = re.compile(TEMPLATE_ID_PATTERN)
EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/tiff": ".tif",
}


REVIEW_PATHS: dict[str, Decision] = {"accept": "accept", "return": "return", "reject": "reject"}


def invalid(exc: ApplicationInvalid) -> ApiError:
    return ApiError(422, "invalid_application", exc.problems)


@contextlib.contextmanager
def refusals_answered() -> Iterator[None]:
    """Bad answers (422), a step the lifecycle refuses and a concurrent write (409)."""
    try:
        yield
    except ApplicationInvalid as exc:
        raise invalid(exc) from None
    except TransitionRefused as refused:
        raise ApiError(409, refused.code, refused.message) from None
    except RecordChanged:
        raise CONFLICT from None


async def _procedure(desk: ApplicationDesk, procedure_id: str) -> RegisteredProcedure:
    if not PROCEDURE_ID.match(procedure_id):  # missing, or no id at all: never a key lookup
        raise UNKNOWN_PROCEDURE
    registered = await records.load_procedure(desk.js, procedure_id)
    if registered is None:
        raise UNKNOWN_PROCEDURE
    return registered


async def apply(request: Request, desk: ApplicationDesk) -> Response:
    plain, answers, uploads = await read_application_form(request)
    registered = await _procedure(desk, plain.get("procedure", ""))
    try:
        state, code = await submit_application(desk, registered, answers, uploads or [])
    except ApplicationInvalid as exc:
        raise invalid(exc) from None
    body = {"application_id": state.application_id, "access_code": code}
    return JSONResponse(body, status_code=201)


async def resident_view(state: ApplicationState, desk: ApplicationDesk) -> dict[str, object]:
    """What the resident sees: the status, the fee and the payment (never staff details)."""
    view: dict[str, object] = {
        "application_id": state.application_id,
        "procedure_id": state.procedure_id,
        "status": state.status,
        "fee": state.fee,
        "payment": None,
    }
    if state.payment_id is not None:
        found = await payment_records.load_payment(desk.js, state.payment_id)
        if found is not None:
            view["payment"] = {"status": found[0].status, "amount": found[0].amount}
    if state.status in ("returned", "rejected"):  # the resident's own note from staff
        content = await records.load_content(desk.store, state.application_id)
        view["review_note"] = content.review_note if content else None
    return view


async def _staff_application(
    request: Request, action: Action, desk: ApplicationDesk, guard: Guard, *, personal_info: bool
) -> tuple[Principal, ApplicationState, int]:
    found = await records.load_state(desk.js, request.path_params["application_id"])
    if found is None:
        await guard.authorize(request, "application.read")  # signed-in staff only learn "not found"
        raise NOT_FOUND
    state, revision = found
    resource = Resource(org=state.org, personal_info=personal_info)
    return await guard.authorize(request, action, resource), state, revision


async def get_application(request: Request, desk: ApplicationDesk, guard: Guard) -> Response:
    code = request.query_params.get("access_code")
    if code is not None:
        state, _ = await resident_application(desk.js, request.path_params["application_id"], code)
        return JSONResponse(await resident_view(state, desk))
    who, state, _ = await _staff_application(
        request, "application.read", desk, guard, personal_info=True
    )
    content = await records.load_content(desk.store, state.application_id)
    if content is None:
        raise NOT_FOUND
    await guard.record_pi_read(request, who, state.application_id, "application.read")
    detail = state.model_dump(
        mode="json", exclude={"access_code_hash", "code_failures", "code_locked_until"}
    )
    detail |= {
        "answers": content.answers,
        "file_names": list(content.file_names),
        "review_note": content.review_note,
    }
    return JSONResponse(detail)


async def list_applications(request: Request, desk: ApplicationDesk, guard: Guard) -> Response:
    who = await guard.authorize(request, "application.read")
    states = await records.list_states(desk.js, who.org)
    hidden = {"access_code_hash", "code_failures", "code_locked_until"}
    return JSONResponse([s.model_dump(mode="json", exclude=hidden) for s in states])


async def open_attachment(request: Request, desk: ApplicationDesk, guard: Guard) -> Response:
    await guard.session(request)  # who asks first: an anonymous caller learns nothing
    found = await records.load_state(desk.js, request.path_params["application_id"])
    number = int(request.path_params["number"])
    if found is None or not 1 <= number <= len(found[0].attachments):
        await guard.authorize(request, "attachment.open", personal_info=True)
        raise NOT_FOUND
    state, _ = found
    info = state.attachments[number - 1]
    resource = Resource(
        org=state.org, personal_info=True, identity_document=is_identity_document(info.kind)
    )
    who = await guard.authorize(request, "attachment.open", resource)
    data = await records.load_attachment(
        desk.store, state.application_id, state.attachments_revision, number
    )
    if data is None:
        raise NOT_FOUND
    await guard.record_pi_read(request, who, f"{state.application_id}/{number}", "attachment.open")
    # A download of a fixed type, never rendered by the browser (a PDF may also be HTML);
    # never the resident's own file name (it may hold theirs).
    name = f"attachment-{number}{EXTENSIONS.get(info.content_type, '')}"
    return Response(
        data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _fee(body: dict[str, object], registered: RegisteredProcedure | None) -> int | None:
    if "fee" not in body:
        return registered.procedure.fee if registered else None
    fee = body["fee"]
    if fee is None:
        return None
    if not isinstance(fee, int) or isinstance(fee, bool) or not 0 <= fee <= 10_000_000:
        raise ApiError(400, "invalid_fee", "手数料は 0 以上の整数（円）で指定してください。")
    return fee


def _reason(body: dict[str, object]) -> str:
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 2000:
        raise ApiError(400, "reason_required", "理由を 2000 文字以内で入力してください。")
    return reason.strip()


async def review(
    request: Request, decision: Decision, desk: ApplicationDesk, guard: Guard
) -> Response:
    who, state, revision = await _staff_application(
        request, "application.review", desk, guard, personal_info=True
    )
    body = await read_object(request)
    fee = reason = None
    if decision == "accept":
        fee = _fee(body, await records.load_procedure(desk.js, state.procedure_id))
    else:
        reason = _reason(body)
    with refusals_answered():
        updated = await review_application(
            desk, state, revision, decision, who.login, fee=fee, reason=reason
        )
    return JSONResponse({"application_id": updated.application_id, "status": updated.status})


async def resubmit(request: Request, desk: ApplicationDesk) -> Response:
    plain, answers, uploads = await read_application_form(request)
    state, revision = await resident_application(
        desk.js, request.path_params["application_id"], plain.get("access_code", "")
    )
    registered = await _procedure(desk, state.procedure_id)
    with refusals_answered():
        updated = await resubmit_application(desk, registered, state, revision, answers, uploads)
    return JSONResponse(await resident_view(updated, desk))


async def pay(request: Request, desk: ApplicationDesk) -> Response:
    body = await read_object(request)
    method = body.get("method")
    if method not in ("card", "wallet"):
        raise ApiError(400, "invalid_method", "支払い方法は card か wallet です。")
    state, revision = await resident_application(
        desk.js, request.path_params["application_id"], str(body.get("access_code") or "")
    )
    with refusals_answered(), payment_refusals_answered():
        payment = await begin_payment(desk, state, revision, method, str(request.base_url))
    return JSONResponse({"payment_id": payment.payment_id, "redirect_url": payment.redirect_url})


def routes(desk: ApplicationDesk, guard: Guard) -> list[Route]:
    one = "/api/applications/{application_id}"
    return [
        Route("/api/applications", partial(apply, desk=desk), methods=["POST"]),
        Route(
            "/api/applications",
            partial(list_applications, desk=desk, guard=guard),
            methods=["GET"],
        ),
        Route(one, partial(get_application, desk=desk, guard=guard), methods=["GET"]),
        Route(f"{one}/resubmit", partial(resubmit, desk=desk), methods=["POST"]),
        Route(f"{one}/payment", partial(pay, desk=desk), methods=["POST"]),
        Route(
            f"{one}/attachments/{{number:int}}",
            partial(open_attachment, desk=desk, guard=guard),
            methods=["GET"],
        ),
        *(
            Route(
                f"{one}/{path}",
                partial(review, decision=decision, desk=desk, guard=guard),
                methods=["POST"],
            )
            for path, decision in REVIEW_PATHS.items()
        ),
    ]
