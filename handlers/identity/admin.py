"""Account administration over HTTP (`/api/users`, `/api/orgs`).

Org admins list, create, lock and reset the accounts of their own organisation; admins do so
for any organisation and create organisations. Each call parses its body, asks the one
`decide` (through the guard) and the rules of `admin_rules`, writes the accounts DB and
publishes an `access.account_changed` event: ids, role and what changed, never a password.

Also here, for the template and procedure uploads of the other rooms: the organisation a
management call is for and a definition parsed with its problems.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from handlers.identity.admin_rules import (
    REFUSALS,
    AccountSummary,
    account_refusal,
    grantable_roles,
    validation_problems,
)
from handlers.identity.authz import Resource
from handlers.identity.definitions import managed_org, unknown_org
from handlers.identity.desk import AccountDesk
from handlers.identity.guard import Guard
from handlers.identity.policy import LOCKOUT, PROBLEM_MESSAGES, password_problems
from handlers.identity.sessions import end_sessions
from infra import accounts
from infra.http import KB, parse_json, read_bytes, require_json
from infra.nats_server import refresh_identities
from infra.passwords import hash_password
from infra.web import ApiError
from schemas.accounts import LOGIN_PATTERN, Org, Principal, Role, User
from schemas.events import ORG_PATTERN, AccessRefused, AccountChanged

# "Lock" holds the account for years (as `madoguchi user lock`); an admin unlocks it.
HELD = LOCKOUT * 100_000
FIELD_LABELS = {
    "login": "ログインID",
    "org": "所属",
    "role": "役割",
    "personal_info": "個人情報",
    "password": "パスワード",
    "id": "所属ID",
    "name": "名称",
}
# The bus users' file and the server's reload are shared by every organisation created.
_identities = asyncio.Lock()

M = TypeVar("M", bound=BaseModel)


class NewAccount(BaseModel):
    model_config = ConfigDict(extra="forbid")

    login: str = Field(pattern=LOGIN_PATTERN)
    org: str | None = Field(default=None, pattern=ORG_PATTERN)  # default: the caller's
    role: Role
    personal_info: bool = False
    password: str = Field(repr=False)


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(repr=False)


# --- accounts -------------------------------------------------------------------------------


async def read_json_bytes(request: Request, cap: int) -> bytes:
    data = await read_bytes(request, cap)
    require_json(request)
    parse_json(data)
    return data


async def _body(request: Request, model: type[M]) -> M:
    try:
        return model.model_validate_json(await read_json_bytes(request, 10 * KB))
    except ValidationError as exc:
        problems = validation_problems(exc)
        messages = [
            f"{FIELD_LABELS.get(p['where'], p['where'] or '入力')}: {p['problem']}"
            for p in problems
        ]
        fields = [p["where"] for p in problems]
        raise ApiError(400, "invalid_request", {"fields": fields, "messages": messages}) from None


async def _checked_hash(desk: AccountDesk, login: str, org: str, password: str) -> str:
    """The password's hash, if the policy allows it (400 naming every problem otherwise)."""
    found = await accounts.get_org(desk.db, org)
    min_length = desk.password.min_length
    problems = password_problems(
        password, min_length=min_length, context_words=[login, org, found.name if found else ""]
    )
    if problems:
        messages = [PROBLEM_MESSAGES[p].format(min_length=min_length) for p in problems]
        raise ApiError(400, "password_policy", {"problems": problems, "messages": messages})
    return await hash_password(password)


async def _managed_account(
    request: Request, desk: AccountDesk, guard: Guard
) -> tuple[Principal, User]:
    """The account named in the path, if the caller may lock or reset it."""
    user = await accounts.get_user(desk.db, request.path_params["login"])
    who = await guard.authorize(request, "user.manage", Resource(org=user.org) if user else None)
    if user is None:
        raise ApiError(404, "not_found", "アカウントが見つかりません。")
    refusal = account_refusal(who, user.login, user.role)
    if refusal is not None:
        raise await _refused(guard, request, who, refusal, user.login)
    return who, user


async def _refused(
    guard: Guard, request: Request, who: Principal, code: str, login: str
) -> ApiError:
    """A refusal by the rules of `admin_rules`, audited like those of `decide`."""
    await guard.record_access(
        request,
        AccessRefused,
        who.org,
        who.login,
        action="user.manage",
        reason_code=code,
        resource_id=login,
    )
    return ApiError(403, code, REFUSALS[code])


async def list_users(request: Request, desk: AccountDesk, guard: Guard) -> Response:
    _, org = await managed_org(request, "user.manage", guard, desk.db)
    now = datetime.now(UTC)
    expiry_days = desk.password.expiry_days
    listed = await accounts.list_users(desk.db, org)
    body = [AccountSummary.of(u, now, expiry_days).model_dump(mode="json") for u in listed]
    return JSONResponse(body)


async def create_user(request: Request, desk: AccountDesk, guard: Guard) -> Response:
    await guard.session(request)  # who asks, before the body is read
    body = await _body(request, NewAccount)
    who = await guard.authorize(
        request, "user.manage", Resource(org=body.org) if body.org else None
    )
    org = body.org or who.org
    if body.role not in grantable_roles(who.role):
        raise await _refused(guard, request, who, "role_not_grantable", body.login)
    db = desk.db
    if await accounts.get_org(db, org) is None:
        raise ApiError(404, "no_org", unknown_org(org))
    user = User(
        login=body.login,
        org=org,
        role=body.role,
        personal_info=body.personal_info,
        password_hash=await _checked_hash(desk, body.login, org, body.password),
        password_changed_at=datetime.now(UTC),
        must_change_password=True,  # the person chooses their own at the first sign-in
    )
    try:
        await accounts.add_user(db, user)
    except accounts.AccountExists:
        raise ApiError(409, "exists", "このログインIDは既に使われています。") from None
    await guard.record_access(
        request,
        AccountChanged,
        org,
        who.login,
        resource_id=user.login,
        change="created",
        role=user.role,
    )
    summary = AccountSummary.of(user, datetime.now(UTC), desk.password.expiry_days)
    return JSONResponse(summary.model_dump(mode="json"), status_code=201)


async def lock(request: Request, desk: AccountDesk, guard: Guard) -> Response:
    who, user = await _managed_account(request, desk, guard)
    await accounts.set_lock(desk.db, user.login, datetime.now(UTC) + HELD)
    await end_sessions(desk.js, user.login)
    await guard.record_access(
        request, AccountChanged, user.org, who.login, resource_id=user.login, change="locked"
    )
    return JSONResponse({"login": user.login, "locked": True})


async def unlock(request: Request, desk: AccountDesk, guard: Guard) -> Response:
    """An org admin (or admin) lifts the lock of an account of their organisation."""
    who, user = await _managed_account(request, desk, guard)
    await accounts.set_lock(desk.db, user.login, None)
    await guard.record_access(
        request, AccountChanged, user.org, who.login, resource_id=user.login, change="unlocked"
    )
    return JSONResponse({"login": user.login, "locked": False})


async def reset_password(request: Request, desk: AccountDesk, guard: Guard) -> Response:
    who, user = await _managed_account(request, desk, guard)
    body = await _body(request, PasswordReset)
    hashed = await _checked_hash(desk, user.login, user.org, body.password)
    await accounts.set_password(desk.db, user.login, hashed, datetime.now(UTC), must_change=True)
    await end_sessions(desk.js, user.login)
    await guard.record_access(
        request,
        AccountChanged,
        user.org,
        who.login,
        resource_id=user.login,
        change="password_reset",
    )
    return JSONResponse({"login": user.login, "must_change_password": True})


# --- organisations --------------------------------------------------------------------------


async def list_orgs(request: Request, desk: AccountDesk, guard: Guard) -> Response:
    await guard.authorize(request, "org.manage")
    listed = await accounts.list_orgs(desk.db)
    return JSONResponse([org.model_dump() for org in listed])


async def create_org(request: Request, desk: AccountDesk, guard: Guard) -> Response:
    """A new organisation; like `madoguchi org add`, its bus users are live at once."""
    await guard.session(request)  # who asks, before the body is read
    body = await _body(request, Org)
    who = await guard.authorize(request, "org.manage", Resource(org=body.id))
    db = desk.db
    try:
        await accounts.add_org(db, body)
    except accounts.AccountExists:
        raise ApiError(409, "exists", "この所属IDは既に使われています。") from None
    async with _identities:
        orgs = [known.id for known in await accounts.list_orgs(db)]
        live = await asyncio.to_thread(refresh_identities, desk.data_dir, orgs)
    await guard.record_access(
        request, AccountChanged, body.id, who.login, resource_id=body.id, change="org_created"
    )
    return JSONResponse({**body.model_dump(), "bus_users_live": live}, status_code=201)


def routes(desk: AccountDesk, guard: Guard) -> list[Route]:
    return [
        Route("/api/users", partial(list_users, desk=desk, guard=guard), methods=["GET"]),
        Route("/api/users", partial(create_user, desk=desk, guard=guard), methods=["POST"]),
        Route("/api/users/{login}/lock", partial(lock, desk=desk, guard=guard), methods=["POST"]),
        Route(
            "/api/users/{login}/unlock", partial(unlock, desk=desk, guard=guard), methods=["POST"]
        ),
        Route(
            "/api/users/{login}/password",
            partial(reset_password, desk=desk, guard=guard),
            methods=["POST"],
        ),
        Route("/api/orgs", partial(list_orgs, desk=desk, guard=guard), methods=["GET"]),
        Route("/api/orgs", partial(create_org, desk=desk, guard=guard), methods=["POST"]),
    ]
