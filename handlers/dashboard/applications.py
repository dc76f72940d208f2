"""Staff pages for online applications: the org's queue and one application under review."""

from __future__ import annotations

from nats.js import JetStreamContext
from starlette.requests import Request
from starlette.responses import Response

from handlers.applications import records
from handlers.applications.lifecycle import STATUS_LABELS
from handlers.dashboard.pages import Pages, page
from handlers.identity.authz import MESSAGES, Resource, decide
from infra.pi_store import PersonalDataStore
from schemas.accounts import Principal, Zone
from schemas.applications import ATTACHMENT_KINDS, ApplicationState, is_identity_document


@page
async def queue(request: Request, pages: Pages, js: JetStreamContext) -> Response:
    session, who = await pages.allowed(request, "application.read")
    states = await records.list_states(js, who.org)
    wanted = request.query_params.get("status") or None
    listed = [s for s in reversed(states) if wanted is None or s.status == wanted]
    return pages.render(
        request,
        "applications.html",
        session,
        applications=listed,
        labels=STATUS_LABELS,
        query=request.query_params,
    )


def attachment_rows(
    state: ApplicationState, who: Principal, zone: Zone | None
) -> list[dict[str, object]]:
    """What the page lists of each attachment, and whether this terminal may open it (pure)."""
    rows: list[dict[str, object]] = []
    for number, info in enumerate(state.attachments, start=1):
        identity = is_identity_document(info.kind)
        resource = Resource(org=state.org, personal_info=True, identity_document=identity)
        decision = decide(who, zone, "attachment.open", resource)
        known = ATTACHMENT_KINDS.get(info.kind)
        rows.append(
            {
                "number": number,
                "kind": known.label if known else info.kind,
                "identity": identity,
                "size_kb": max(1, info.size_bytes // 1024),
                "content_type": info.content_type,
                "openable": decision.allowed,
                "refusal": None if decision.allowed else MESSAGES[decision.reason],
            }
        )
    return rows


@page
async def detail(
    request: Request, pages: Pages, js: JetStreamContext, store: PersonalDataStore
) -> Response:
    session = await pages.signed_in(request)
    who = session.principal
    found = await records.load_state(js, request.path_params["application_id"])
    if found is None:
        raise pages.missing(request, session, "申請が見つかりません。")
    state, _ = found
    # Answers are personal data (SJ terminals); identity documents open on MN terminals only.
    # An MN terminal sees the attachments without the answers; a page with neither is refused.
    answers = decide(who, session.zone, "application.read", Resource(state.org, True))
    id_docs = decide(who, session.zone, "attachment.open", Resource(state.org, True, True))
    if not answers.allowed and not id_docs.allowed:
        await pages.allowed(request, "application.read", Resource(state.org, True))
    content = None
    if answers.allowed:
        content = await records.load_content(store, state.application_id)
        await pages.guard.record_pi_read(request, who, state.application_id, "application.read")
    registered = await records.load_procedure(js, state.procedure_id)
    attachments = attachment_rows(state, who, session.zone)
    can_review = decide(
        who, session.zone, "application.review", Resource(org=state.org, personal_info=True)
    ).allowed
    return pages.render(
        request,
        "application.html",
        session,
        state=state,
        content=content,
        procedure=registered.procedure if registered else None,
        attachments=attachments,
        labels=STATUS_LABELS,
        can_review=can_review,
        answers_refused=None if answers.allowed else MESSAGES[answers.reason],
    )
