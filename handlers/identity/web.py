"""Staff sign-in, sign-out and password change (`/api/session`, `/api/password`).

No user enumeration: an unknown login costs the same scrypt verification as a known one and
gets the same 401 and message; a locked account says so (423) only to whoever knows its
password.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from handlers.identity.desk import AccountDesk
from handlers.identity.guard import EXPIRED, SESSION_COOKIE, Guard
from handlers.identity.policy import (
    LOCKOUT,
    PROBLEM_MESSAGES,
    is_expired,
    locked,
    password_problems,
)
from handlers.identity.sessions import ABSOLUTE, close_session, end_sessions, open_session
from handlers.identity.throttle import MAX_LOGIN, MAX_PASSWORD, Busy, SignInThrottle
from infra import accounts
from infra.accounts import SYSTEM_ORG
from infra.http import KB, read_model
from infra.metrics import SIGN_IN_FAILURES
from infra.passwords import hash_password, verify_password
from infra.web import ApiError
from schemas.accounts import Principal, Session, User
from schemas.events import AccessEvent, AccountLocked, PasswordChanged, SignedIn, SignInFailed

# Verified when the login is unknown, so that answer takes as long as a wrong password.
DUMMY_HASH = (
    "scrypt$131072$8$1$uqDWtV+gSfftYf+qAy2Zcw==$Hpnf8kgp6hT1moyzfAQpJkpzdxjCQBaM/bq8wkMjux8="
)
WRONG = "ログインIDまたはパスワードが違います。"
LOCKED = "アカウントがロックされています。しばらく待つか、所属の管理者に解除を依頼してください。"
REUSE_DEPTH = 5
SIGN_IN_CAP = 4 * KB
TOO_MANY = ApiError(
    429, "too_many_attempts", "サインインの試行が多すぎます。しばらくしてからお試しください。"
)
THROTTLE = SignInThrottle()


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    login: str = Field(max_length=MAX_LOGIN)
    password: str = Field(max_length=MAX_PASSWORD)  # hashing a megabyte costs more


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current: str
    new: str


async def _audit(
    guard: Guard, request: Request, event: type[AccessEvent], user: User | None, **details: object
) -> None:
    org, actor = (user.org, user.login) if user else (SYSTEM_ORG, "unknown")
    await guard.record_access(request, event, org, actor, **details)


def _with_cookie(response: Response, request: Request, token: str) -> Response:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(ABSOLUTE.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


def _session_body(session: Session) -> dict[str, object]:
    who = session.principal
    return {
        "login": who.login,
        "org": who.org,
        "role": who.role,
        "personal_info": who.personal_info,
        "zone": session.zone,
        "csrf_token": session.csrf_token,
    }


async def sign_in(request: Request, desk: AccountDesk, guard: Guard) -> Response:
    body = await read_model(request, SignIn, SIGN_IN_CAP)
    address = request.client.host if request.client else ""
    now = datetime.now(UTC)
    if THROTTLE.refuse_address(address, now):
        raise TOO_MANY
    user = await accounts.get_user(desk.db, body.login)
    threshold = desk.password.lockout_attempts
    held = locked(user.locked_until, now) if user else THROTTLE.phantom_locked(body.login, now)
    if held:
        # The same answer whatever the password (no oracle), and the try counts.
        await _failed(desk, guard, request, user, body.login, threshold, now, "locked")
        raise ApiError(423, "locked", LOCKED)
    try:
        async with THROTTLE.hashing(address):
            matches = await verify_password(
                body.password, user.password_hash if user else DUMMY_HASH
            )
    except Busy:
        raise TOO_MANY from None
    if user is None or not matches:
        THROTTLE.failed(address, now)
        await _failed(desk, guard, request, user, body.login, threshold, now, "wrong_credentials")
        raise ApiError(401, "wrong_credentials", WRONG)
    await accounts.record_success(desk.db, user.login)
    expired = user.must_change_password or is_expired(
        user.password_changed_at, now, desk.password.expiry_days
    )
    principal = Principal(
        login=user.login, org=user.org, role=user.role, personal_info=user.personal_info
    )
    token, session = await open_session(desk.js, principal, guard.zone(request), expired)
    await _audit(
        guard, request, SignedIn, user, reason_code="password_expired" if expired else None
    )
    if expired:
        body_json = {
            "error": "password_expired",
            "detail": EXPIRED,
            "csrf_token": session.csrf_token,
        }
        return _with_cookie(JSONResponse(body_json, status_code=403), request, token)
    return _with_cookie(JSONResponse(_session_body(session)), request, token)


async def _failed(
    desk: AccountDesk,
    guard: Guard,
    request: Request,
    user: User | None,
    login: str,
    threshold: int,
    now: datetime,
    reason: str,
) -> None:
    """Count a failed sign-in (atomically: concurrent guesses all count) and audit it."""
    if user is None:
        THROTTLE.phantom_failed(login, threshold, now)
    else:
        count, _ = await accounts.count_failure(desk.db, user.login, now, threshold, LOCKOUT)
        if count == threshold:
            await _audit(guard, request, AccountLocked, user)
    SIGN_IN_FAILURES.labels(reason).inc()
    await _audit(guard, request, SignInFailed, user, reason_code=reason)


async def who_am_i(request: Request, guard: Guard) -> Response:
    return JSONResponse(_session_body(await guard.session(request, password_change=True)))


async def sign_out(request: Request, desk: AccountDesk, guard: Guard) -> Response:
    await guard.session(request, password_change=True)
    await close_session(desk.js, request.cookies[SESSION_COOKIE])
    response = JSONResponse({"signed_out": True})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def change_password(request: Request, desk: AccountDesk, guard: Guard) -> Response:
    session = await guard.session(request, password_change=True)
    body = await read_model(request, PasswordChange, SIGN_IN_CAP)
    user = await accounts.get_user(desk.db, session.principal.login)
    if user is None or not await verify_password(body.current, user.password_hash):
        raise ApiError(400, "wrong_current", "現在のパスワードが違います。")
    org = await accounts.get_org(desk.db, user.org)
    problems = password_problems(
        body.new,
        min_length=desk.password.min_length,
        context_words=[user.login, user.org, org.name if org else ""],
    )
    if not problems:
        previous = [
            user.password_hash,
            *await accounts.previous_hashes(desk.db, user.login, REUSE_DEPTH),
        ]
        for stored in previous:
            if await verify_password(body.new, stored):
                problems.append("same_as_current" if stored == user.password_hash else "reused")
                break
    if problems:
        messages = [
            PROBLEM_MESSAGES[p].format(min_length=desk.password.min_length) for p in problems
        ]
        raise ApiError(400, "password_policy", {"problems": problems, "messages": messages})
    now = datetime.now(UTC)
    await accounts.set_password(
        desk.db, user.login, await hash_password(body.new), now, must_change=False
    )
    await _audit(guard, request, PasswordChanged, user)
    # Every session of the account ends (one may be an intruder's); this one goes on fresh.
    await end_sessions(desk.js, user.login)
    token, fresh = await open_session(desk.js, session.principal, session.zone, False)
    return _with_cookie(JSONResponse(_session_body(fresh)), request, token)


def routes(desk: AccountDesk, guard: Guard) -> list[Route]:
    return [
        Route("/api/session", partial(sign_in, desk=desk, guard=guard), methods=["POST"]),
        Route("/api/session", partial(who_am_i, guard=guard), methods=["GET"]),
        Route("/api/session", partial(sign_out, desk=desk, guard=guard), methods=["DELETE"]),
        Route("/api/password", partial(change_password, desk=desk, guard=guard), methods=["POST"]),
    ]
