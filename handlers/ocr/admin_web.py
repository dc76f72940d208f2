"""Form templates over HTTP (`/api/templates`): org admins for their own organisation, admins
for any (`?org=`). A definition that is not valid is refused with each problem and where it
lies, so the dashboard can show them beside the upload form."""

from __future__ import annotations

from functools import partial

import aiosqlite
from nats.js import JetStreamContext
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from handlers.identity.definitions import definition_saved, managed_org, parsed_definition
from handlers.identity.guard import Guard
from handlers.ocr import records
from infra.http import DEFINITION_CAP, read_bytes
from schemas.forms import FormTemplate


async def list_templates(
    request: Request, js: JetStreamContext, guard: Guard, accounts: aiosqlite.Connection
) -> Response:
    _, org = await managed_org(request, "template.manage", guard, accounts)
    found = await records.list_templates(js, org)
    return JSONResponse([t.model_dump(mode="json") for t in found])


async def save_template(
    request: Request, js: JetStreamContext, guard: Guard, accounts: aiosqlite.Connection
) -> Response:
    who, org = await managed_org(request, "template.manage", guard, accounts)
    form = parsed_definition(FormTemplate, await read_bytes(request, DEFINITION_CAP))
    replaced = await records.load_template(js, org, form.id) is not None
    await records.save_template(js, org, form)
    return await definition_saved(
        request, guard, who, org, "template", form.id, replaced, fields=len(form.fields)
    )


def routes(js: JetStreamContext, guard: Guard, accounts: aiosqlite.Connection) -> list[Route]:
    """`js`: where templates are kept; `accounts`: the organisations they may belong to."""
    listed = partial(list_templates, js=js, guard=guard, accounts=accounts)
    saved = partial(save_template, js=js, guard=guard, accounts=accounts)
    return [
        Route("/api/templates", listed, methods=["GET"]),
        Route("/api/templates", saved, methods=["POST"]),
    ]
