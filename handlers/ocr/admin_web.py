"""Form templates over HTTP (`/api/templates`): org admins for their own organisation, admins
for any (`?org=`). A definition that is not valid is refused with each problem and where it
lies, so the dashboard can show them beside the upload form."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from handlers.identity.definitions import managed_org, parsed_definition
from handlers.identity.guard import record_access, runtime_of
from handlers.ocr import records
from infra.http import DEFINITION_CAP, read_bytes
from schemas.events import DefinitionSaved
from schemas.forms import FormTemplate


async def list_templates(request: Request) -> Response:
    _, org = await managed_org(request, "template.manage")
    found = await records.list_templates(runtime_of(request).js, org)
    return JSONResponse([t.model_dump(mode="json") for t in found])


async def save_template(request: Request) -> Response:
    who, org = await managed_org(request, "template.manage")
    form = parsed_definition(FormTemplate, await read_bytes(request, DEFINITION_CAP))
    js = runtime_of(request).js
    replaced = await records.load_template(js, org, form.id) is not None
    await records.save_template(js, org, form)
    await record_access(
        request,
        DefinitionSaved,
        org,
        who.login,
        resource_id=form.id,
        kind="template",
        replaced=replaced,
    )
    body = {"id": form.id, "org": org, "fields": len(form.fields), "replaced": replaced}
    return JSONResponse(body, status_code=200 if replaced else 201)


routes = [
    Route("/api/templates", list_templates, methods=["GET"]),
    Route("/api/templates", save_template, methods=["POST"]),
]
