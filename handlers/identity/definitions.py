"""What the administration screens of every room share: the organisation a call manages,
and a template or procedure parsed with its problems named. (Not a route module: the
identity room's own routes live in `admin.py`.)"""

from __future__ import annotations

from typing import TypeVar

import aiosqlite
from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from handlers.identity.admin_rules import validation_problems
from handlers.identity.authz import Action, Resource
from handlers.identity.guard import authorize, runtime_of
from infra import accounts
from infra.web import ApiError
from schemas.accounts import Principal

M = TypeVar("M", bound=BaseModel)


def unknown_org(org: str) -> str:
    return f"所属「{org}」は登録されていません。先に所属を登録してください。"


def accounts_db(request: Request) -> aiosqlite.Connection:
    db = runtime_of(request).accounts
    assert db is not None, "the web app runs with the accounts database open"
    return db


async def managed_org(request: Request, action: Action) -> tuple[Principal, str]:
    """The caller and the organisation the call manages: `?org=` (admins), else their own."""
    asked = request.query_params.get("org") or None
    who = await authorize(request, action, Resource(org=asked) if asked else None)
    org = asked or who.org
    if await accounts.get_org(accounts_db(request), org) is None:
        raise ApiError(404, "no_org", unknown_org(org))
    return who, org


def parsed_definition(model: type[M], data: bytes) -> M:
    """A template or procedure; 422 with `[{"where", "problem"}]` when it is not valid."""
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        raise ApiError(422, "invalid_definition", validation_problems(exc)) from None
