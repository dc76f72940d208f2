"""Online procedures over HTTP (`/api/procedures`): org admins for their own organisation,
admins for any (`?org=`). Procedure ids are unique across the city: an id another
organisation owns is refused, as `madoguchi procedure add` does."""

from __future__ import annotations

from functools import partial

import aiosqlite
from nats.js import JetStreamContext
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from handlers.applications import records
from handlers.identity.definitions import definition_saved, managed_org, parsed_definition
from handlers.identity.guard import Guard
from infra.http import DEFINITION_CAP, read_bytes
from infra.web import ApiError
from schemas.applications import Procedure, RegisteredProcedure

TAKEN = "この手続IDは他の所属が使っています。別の ID にしてください。"


async def list_procedures(
    request: Request, js: JetStreamContext, guard: Guard, accounts: aiosqlite.Connection
) -> Response:
    _, org = await managed_org(request, "procedure.manage", guard, accounts)
    found = await records.list_procedures(js, org)
    return JSONResponse([r.procedure.model_dump(mode="json") for r in found])


async def save_procedure(
    request: Request, js: JetStreamContext, guard: Guard, accounts: aiosqlite.Connection
) -> Response:
    who, org = await managed_org(request, "procedure.manage", guard, accounts)
    definition = parsed_definition(Procedure, await read_bytes(request, DEFINITION_CAP))
    try:
        replaced = await records.save_procedure(
            js, RegisteredProcedure(org=org, procedure=definition)
        )
    except records.ProcedureTaken:
        raise ApiError(409, "id_taken", TAKEN) from None
    return await definition_saved(request, guard, who, org, "procedure", definition.id, replaced)


def routes(js: JetStreamContext, guard: Guard, accounts: aiosqlite.Connection) -> list[Route]:
    """`js`: where procedures are kept; `accounts`: the organisations they may belong to."""
    listed = partial(list_procedures, js=js, guard=guard, accounts=accounts)
    saved = partial(save_procedure, js=js, guard=guard, accounts=accounts)
    return [
        Route("/api/procedures", listed, methods=["GET"]),
        Route("/api/procedures", saved, methods=["POST"]),
    ]
