"""Server-side sessions in the `sessions` KV bucket: the cookie carries a random token only,
the bucket is keyed by its SHA-256 so a copy of the bucket cannot be replayed as cookies."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError, NotFoundError

from events.catalog import SESSION_HOURS, SESSIONS
from infra.kv import list_records, open_kv
from schemas.accounts import Principal, Session, Zone

IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=SESSION_HOURS)
TOUCH_EVERY = timedelta(minutes=1)  # write last_seen at most this often


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def still_valid(session: Session, now: datetime) -> bool:
    return now - session.last_seen < IDLE and now - session.created_at < ABSOLUTE


async def open_session(
    js: JetStreamContext, principal: Principal, zone: Zone | None, password_change_only: bool
) -> tuple[str, Session]:
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    session = Session(
        principal=principal,
        zone=zone,
        csrf_token=secrets.token_urlsafe(24),
        created_at=now,
        last_seen=now,
        password_change_only=password_change_only,
    )
    kv = await open_kv(js, SESSIONS.name)
    await kv.put(_key(token), session.model_dump_json().encode())
    return token, session


async def load_session(js: JetStreamContext, token: str) -> Session | None:
    """The live session for `token`, its idle clock reset; None when unknown or expired."""
    kv = await open_kv(js, SESSIONS.name)
    try:
        entry = await kv.get(_key(token))
    except (KeyNotFoundError, NotFoundError):
        return None
    if not entry.value:
        return None
    session = Session.model_validate_json(entry.value)
    now = datetime.now(UTC)
    if not still_valid(session, now):
        await kv.purge(_key(token))
        return None
    if now - session.last_seen >= TOUCH_EVERY:
        session = session.model_copy(update={"last_seen": now})
        await kv.put(_key(token), session.model_dump_json().encode())
    return session


async def close_session(js: JetStreamContext, token: str) -> None:
    kv = await open_kv(js, SESSIONS.name)
    await kv.purge(_key(token))


async def end_sessions(js: JetStreamContext, login: str) -> int:
    """Close every open session of `login` (a locked or reset account is signed out now)."""
    kv = await open_kv(js, SESSIONS.name)
    ended = 0
    for key, session, _ in await list_records(kv, ">", Session):
        if session.principal.login == login:
            await kv.purge(key)
            ended += 1
    return ended
