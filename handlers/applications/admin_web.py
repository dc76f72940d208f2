"""Online procedures over HTTP (`/api/procedures`): org admins for their own organisation,
admins for any (`?org=`). Procedure ids are unique across the city: an id another
organisation owns is refused, as `madoguchi procedure add` does."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from handlers.applications import records
from handlers.identity.definitions import managed_org, parsed_definition
from handlers.identity.guard import record_access, runtime_of
from infra.http import DEFINITION_CAP, read_bytes
from infra.web import ApiError
from schemas.applications import Procedure, RegisteredProcedure
from schemas.events import DefinitionSaved

TAKEN = "この手続IDは他の所属が使っています。別の ID にしてください。"


async def list_procedures(request: Request) -> Response:
    _, org = await managed_org(request, "procedure.manage")
    found = await records.list_procedures(runtime_of(request).js, org)
    return JSONResponse([r.procedure.model_dump(mode="json") for r in found])


async def save_procedure(request: Request) -> Response:
    who, org = await managed_org(request, "procedure.manage")
    definition = parsed_definition(Procedure, await read_bytes(request, DEFINITION_CAP))
    js = runtime_of(request).js
    try:
        replaced = await records.save_procedure(
            js, RegisteredProcedure(org=org, procedure=definition)
        )
    except records.ProcedureTaken:
        raise ApiError(409, "id_taken", TAKEN) from None
    await record_access(
        request,
        DefinitionSaved,
        org,
        who.login,
        resource_id=definition.id,
        kind="procedure",
        replaced=replaced,
    )
    body = {"id": definition.id, "org": org, "replaced": replaced}
    return JSONResponse(body, status_code=200 if replaced else 201)


routes = [
    Route("/api/procedures", list_procedures, methods=["GET"]),
    Route("/api/procedures", save_procedure, methods=["POST"]),
]
