"""The administration page (`/staff/admin`): accounts, organisations, templates, procedures.

Org admins manage their own organisation; admins pick any (`?org=`) and also see the
organisations. The page only shows what is there and what may be done: every change goes
through the JSON API (`handlers/identity/admin.py`, the template and procedure uploads),
which asks the same authorization again.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from handlers.applications import records as procedure_records
from handlers.dashboard.pages import allowed, missing, page, render
from handlers.identity.admin_rules import AccountSummary, account_refusal, grantable_roles
from handlers.identity.authz import Resource, decide
from handlers.identity.definitions import accounts_db
from handlers.identity.guard import runtime_of
from handlers.ocr import records as template_records
from infra import accounts


@page
async def admin(request: Request) -> Response:
    session, who = await allowed(request, "user.manage")
    asked = request.query_params.get("org") or who.org
    if asked != who.org:
        session, who = await allowed(request, "user.manage", Resource(org=asked))
    runtime, db = runtime_of(request), accounts_db(request)
    org = await accounts.get_org(db, asked)
    if org is None:
        raise missing(request, session, "所属が見つかりません。")
    manages_orgs = decide(who, session.zone, "org.manage", Resource(org=org.id)).allowed
    now = datetime.now(UTC)
    listed = [
        AccountSummary.of(user, now, runtime.settings.password.expiry_days)
        for user in await accounts.list_users(db, org.id)
    ]
    return render(
        request,
        "admin.html",
        session,
        org=org,
        accounts=listed,
        manageable={a.login for a in listed if account_refusal(who, a.login, a.role) is None},
        roles=grantable_roles(who.role),
        manages_orgs=manages_orgs,
        orgs=await accounts.list_orgs(db) if manages_orgs else [],
        templates=await template_records.list_templates(runtime.js, org.id),
        procedures=await procedure_records.list_procedures(runtime.js, org.id),
    )
