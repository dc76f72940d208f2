"""The resident portal: server-rendered pages that work on a phone without JavaScript.

Pages are thin: they call the same functions as the JSON API and render the outcome. Pages
that show answers or codes send `Cache-Control: no-store`; nothing personal goes in a URL
(the access code travels in form bodies only).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from handlers.applications import records
from handlers.applications.access import resident_application
from handlers.applications.attachments import LIMITS
from handlers.applications.checkout import begin_payment
from handlers.applications.desk import ApplicationDesk
from handlers.applications.forms import read_application_form
from handlers.applications.lifecycle import STATUS_LABELS, TransitionRefused
from handlers.applications.submit import (
    ApplicationInvalid,
    resubmit_application,
    submit_application,
)
from handlers.payments import records as payment_records
from handlers.payments import service as payments
from handlers.payments.answers import AGENT_DOWN_MESSAGE
from handlers.payments.lifecycle import PAYMENT_LABELS, PaymentRefused
from infra.http import read_form
from infra.kv import RecordChanged
from infra.payment_agent import PaymentAgentError
from infra.web import ApiError
from schemas.applications import (
    ApplicationState,
    AttachmentKind,
    Procedure,
    kinds_meeting,
    requirement_label,
)
from schemas.events import PaymentMethod

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
METHODS: dict[str, PaymentMethod] = {"card": "card", "wallet": "wallet"}


@dataclass(frozen=True)
class Portal:
    """What the resident's pages work with: the applications desk and the city's name."""

    desk: ApplicationDesk
    city_name: str


@dataclass(frozen=True)
class Requirement:
    label: str
    kinds: list[AttachmentKind]


def _page(
    portal: Portal, request: Request, name: str, status: int = 200, **context: Any
) -> Response:
    context["city_name"] = portal.city_name
    context.setdefault("problems", {})
    context.setdefault("answers", {})
    return templates.TemplateResponse(request, name, context, status_code=status)


def _form_context(procedure: Procedure) -> dict[str, Any]:
    return {
        "procedure": procedure,
        "requirements": [
            Requirement(requirement_label(entry), kinds_meeting(entry))
            for entry in procedure.attachment_kinds
        ],
        "max_mb": LIMITS.max_bytes // (1024 * 1024),
    }


async def index(request: Request, portal: Portal) -> Response:
    procedures = await records.list_procedures(portal.desk.js)
    return _page(portal, request, "index.html", procedures=procedures)


async def apply_form(request: Request, portal: Portal) -> Response:
    registered = await records.load_procedure(portal.desk.js, request.path_params["procedure_id"])
    if registered is None:
        raise ApiError(404, "unknown_procedure", "この手続は受け付けていません。")
    if request.method == "GET":
        return _page(portal, request, "apply.html", **_form_context(registered.procedure))
    _, answers, uploads = await read_application_form(request)
    try:
        state, code = await submit_application(portal.desk, registered, answers, uploads or [])
    except ApplicationInvalid as exc:
        context = _form_context(registered.procedure)
        return _page(
            portal, request, "apply.html", 422, problems=exc.problems, answers=answers, **context
        )
    return _page(
        portal, request, "applied.html", 201, application_id=state.application_id, access_code=code
    )


async def lookup(request: Request) -> Response:
    application_id = request.query_params.get("application_id", "").strip()
    return RedirectResponse(f"/applications/{application_id}", status_code=303)


async def _status_page(
    portal: Portal,
    request: Request,
    state: ApplicationState,
    code: str,
    status: int = 200,
    **extra: Any,
) -> Response:
    registered = await records.load_procedure(portal.desk.js, state.procedure_id)
    payment = None
    if state.payment_id is not None:
        found = await payment_records.load_payment(portal.desk.js, state.payment_id)
        payment = found[0] if found else None
    context: dict[str, Any] = {
        "state": state,
        "access_code": code,
        "status_label": STATUS_LABELS[state.status],
        "payment": payment,
        "payment_label": PAYMENT_LABELS[payment.status] if payment else None,
        "procedure": registered.procedure if registered else None,
        "review_note": None,
    }
    if state.status in ("returned", "rejected"):
        content = await records.load_content(portal.desk.store, state.application_id)
        if content is not None:
            context["review_note"] = content.review_note
            if "answers" not in extra:
                context["answers"] = content.answers
    if registered is not None:
        context |= _form_context(registered.procedure)
    return _page(portal, request, "status.html", status, **(context | extra))


async def status_page(request: Request, portal: Portal) -> Response:
    application_id = request.path_params["application_id"]
    if request.method == "GET":
        return _page(portal, request, "lookup.html", application_id=application_id)
    async with read_form(request) as form:
        code = str(form.get("access_code") or "")
    try:
        state, _ = await resident_application(portal.desk.js, application_id, code)
    except ApiError as refused:
        return _page(
            portal,
            request,
            "lookup.html",
            refused.status,
            application_id=application_id,
            problem=refused.detail,
        )
    return await _status_page(portal, request, state, code)


async def pay(request: Request, portal: Portal) -> Response:
    async with read_form(request) as form:
        code = str(form.get("access_code") or "")
        method = METHODS.get(str(form.get("method") or ""))
    state, revision = await resident_application(
        portal.desk.js, request.path_params["application_id"], code
    )
    if method is None:
        return await _status_page(
            portal, request, state, code, 400, message="支払い方法を選んでください。"
        )
    try:
        payment = await begin_payment(portal.desk, state, revision, method, str(request.base_url))
    except (TransitionRefused, PaymentRefused, RecordChanged):
        return await _status_page(
            portal, request, state, code, 409, message="この申請は今お支払いできません。"
        )
    except PaymentAgentError:
        return await _status_page(portal, request, state, code, 502, message=AGENT_DOWN_MESSAGE)
    assert payment.redirect_url is not None
    return RedirectResponse(payment.redirect_url, status_code=303)


async def resubmit(request: Request, portal: Portal) -> Response:
    plain, answers, uploads = await read_application_form(request)
    code = plain.get("access_code", "")
    state, revision = await resident_application(
        portal.desk.js, request.path_params["application_id"], code
    )
    registered = await records.load_procedure(portal.desk.js, state.procedure_id)
    if registered is None:
        raise ApiError(404, "unknown_procedure", "この手続は受け付けていません。")
    try:
        state = await resubmit_application(
            portal.desk, registered, state, revision, answers, uploads
        )
    except ApplicationInvalid as exc:
        return await _status_page(
            portal, request, state, code, 422, problems=exc.problems, answers=answers
        )
    except (TransitionRefused, RecordChanged):
        return await _status_page(
            portal, request, state, code, 409, message="この申請は今再提出できません。"
        )
    return await _status_page(portal, request, state, code, message="再提出を受け付けました。")


async def payment_return(request: Request, portal: Portal) -> Response:
    """The agent's page sends the browser back here: ask the agent, never trust the redirect."""
    application_id = request.path_params["application_id"]
    found = await payment_records.load_payment(
        portal.desk.js, request.query_params.get("payment", "")
    )
    if found is None or found[0].application_id != application_id:
        message = "お支払いの情報が見つかりません。申請の状況をご確認ください。"
    else:
        try:
            payment = await payments.refresh(portal.desk.payments, found[0])
            message = {
                "settled": "お支払いが完了しました。ありがとうございました。",
                "failed": "お支払いができませんでした。別の方法でお試しください。",
                "requested": "お支払いを確認中です。しばらくしてから状況をご確認ください。",
            }.get(payment.status, PAYMENT_LABELS[payment.status])
        except PaymentAgentError:
            message = "お支払いを確認中です。しばらくしてから状況をご確認ください。"
    return _page(
        portal, request, "payment_result.html", application_id=application_id, message=message
    )


def routes(portal: Portal) -> list[Route]:
    one = "/applications/{application_id}"
    return [
        Route("/", partial(index, portal=portal), methods=["GET"]),
        Route("/apply/{procedure_id}", partial(apply_form, portal=portal), methods=["GET", "POST"]),
        Route("/applications", lookup, methods=["GET"]),
        Route(one, partial(status_page, portal=portal), methods=["GET", "POST"]),
        Route(f"{one}/pay", partial(pay, portal=portal), methods=["POST"]),
        Route(f"{one}/resubmit", partial(resubmit, portal=portal), methods=["POST"]),
        Route(f"{one}/payment-return", partial(payment_return, portal=portal), methods=["GET"]),
    ]
