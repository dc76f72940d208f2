"""The administration page (`/staff/admin`): accounts, organisations, templates, procedures.

Org admins manage their own organisation; admins pick any (`?org=`) and also see the
organisations. The page only shows what is there and what may be done: every change goes
through the JSON API (`handlers/identity/admin.py`, the template and procedure uploads),
which asks the same authorization again.
"""

from __future__ import annotations

from datetime import UTC, datetime

import aiosqlite
from nats.js import JetStreamContext
from starlette.requests import Request
from starlette.responses import Response

from handlers.applications import records as procedure_records
from handlers.dashboard.pages import Pages, page
from handlers.identity.admin_rules import AccountSummary, account_refusal, grantable_roles
from handlers.identity.authz import Resource, decide
from handlers.ocr import records as template_records
from infra import accounts
from schemas.settings import PasswordSettings


@page
async def admin(
    request: Request,
    pages: Pages,
    js: JetStreamContext,
    db: aiosqlite.Connection,
    password: PasswordSettings,
) -> Response:
    session, who = await pages.allowed(request, "user.manage")
    asked = request.query_params.get("org") or who.org
    if asked != who.org:
        session, who = await pages.allowed(request, "user.manage", Resource(org=asked))
    org = await accounts.get_org(db, asked)
    if org is None:
        raise pages.missing(request, session, "所属が見つかりません。")
    manages_orgs = decide(who, session.zone, "org.manage", Resource(org=org.id)).allowed
    now = datetime.now(UTC)
    listed = [
        AccountSummary.of(user, now, password.expiry_days)
        for user in await accounts.list_users(db, org.id)
    ]
    return pages.render(
        request,
        "admin.html",
        session,
        org=org,
        accounts=listed,
        manageable={a.login for a in listed if account_refusal(who, a.login, a.role) is None},
        roles=grantable_roles(who.role),
        manages_orgs=manages_orgs,
        orgs=await accounts.list_orgs(db) if manages_orgs else [],
        templates=await template_records.list_templates(js, org.id),
        procedures=await procedure_records.list_procedures(js, org.id),
    )
