"""What the administration screens of every room share: the organisation a call manages,
a template or procedure parsed with its problems named, and the audited answer once it is
saved. (Not a route module: the identity room's own routes live in `admin.py`.)"""

from __future__ import annotations

from typing import Literal, TypeVar

import aiosqlite
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse

from handlers.identity.admin_rules import validation_problems
from handlers.identity.authz import Action, Resource
from handlers.identity.guard import Guard
from infra import accounts
from infra.web import ApiError
from schemas.accounts import Principal
from schemas.events import DefinitionSaved

M = TypeVar("M", bound=BaseModel)


def unknown_org(org: str) -> str:
    return f"所属「{org}」は登録されていません。先に所属を登録してください。"


async def managed_org(
    request: Request,
    action: Action,
    guard: Guard,
    db: aiosqlite.Connection,
) -> tuple[Principal, str]:
    """The caller and the organisation the call manages: `?org=` (admins), else their own,
    which must be registered in the accounts `db`."""
    asked = request.query_params.get("org") or None
    who = await guard.authorize(request, action, Resource(org=asked) if asked else None)
    org = asked or who.org
    if await accounts.get_org(db, org) is None:
        raise ApiError(404, "no_org", unknown_org(org))
    return who, org


def parsed_definition(model: type[M], data: bytes) -> M:
    """A template or procedure; 422 with `[{"where", "problem"}]` when it is not valid."""
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        raise ApiError(422, "invalid_definition", validation_problems(exc)) from None


async def definition_saved(
    request: Request,
    guard: Guard,
    who: Principal,
    org: str,
    kind: Literal["template", "procedure"],
    definition_id: str,
    replaced: bool,
    **shown: object,
) -> JSONResponse:
    """Audit the save (`access.definition_saved`) and answer it: 201 when new, 200 when it
    replaced one, with its id, org and `shown`."""
    await guard.record_access(
        request,
        DefinitionSaved,
        org,
        who.login,
        resource_id=definition_id,
        kind=kind,
        replaced=replaced,
    )
    body = {"id": definition_id, "org": org, **shown, "replaced": replaced}
    return JSONResponse(body, status_code=200 if replaced else 201)
