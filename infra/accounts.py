"""The staff accounts database (SQLite through aiosqlite under `--data`): organisations,
users, password history, with schema migrations. Storage only; policies live in the
identity room."""

from __future__ import annotations

import asyncio
import fcntl
import functools
import os
import secrets
import weakref
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

import aiosqlite

from infra.passwords import hash_password
from schemas.accounts import Org, User

SYSTEM_ORG = "system"

# Append-only: each entry moves the schema from version i to i+1 (PRAGMA user_version).
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE orgs (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE users (
        login TEXT PRIMARY KEY,
        org TEXT NOT NULL REFERENCES orgs(id),
        role TEXT NOT NULL,
        personal_info INTEGER NOT NULL DEFAULT 0,
        password_hash TEXT NOT NULL,
        password_changed_at TEXT NOT NULL,
        must_change_password INTEGER NOT NULL DEFAULT 0,
        failed_attempts INTEGER NOT NULL DEFAULT 0,
        locked_until TEXT
    );
    CREATE TABLE password_history (
        login TEXT NOT NULL REFERENCES users(login) ON DELETE CASCADE,
        password_hash TEXT NOT NULL,
        changed_at TEXT NOT NULL
    );
    """,
)


P = ParamSpec("P")
T = TypeVar("T")

# The web app shares one connection between requests. Each call below runs its statements as
# one unit: a commit while another call's UPDATE … RETURNING was executed but not yet read
# fails with "cannot commit transaction - SQL statements in progress", and a commit would
# also take in another call's half-done writes.
_units: weakref.WeakKeyDictionary[aiosqlite.Connection, asyncio.Lock] = weakref.WeakKeyDictionary()


def _one_unit(
    work: Callable[Concatenate[aiosqlite.Connection, P], Awaitable[T]],
) -> Callable[Concatenate[aiosqlite.Connection, P], Awaitable[T]]:
    @functools.wraps(work)
    async def alone(db: aiosqlite.Connection, /, *args: P.args, **kwargs: P.kwargs) -> T:
        async with _units.setdefault(db, asyncio.Lock()):
            return await work(db, *args, **kwargs)

    return alone


def _now() -> str:
    return datetime.now(UTC).isoformat()


async def migrate(db: aiosqlite.Connection) -> int:
    """Apply the migrations not yet applied; returns the schema version."""
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    version = int(row[0]) if row else 0
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        await db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    return len(MIGRATIONS)


async def open_accounts(path: Path) -> aiosqlite.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = await aiosqlite.connect(path)
    try:
        await db.execute("PRAGMA foreign_keys = ON")
        await _migrated_alone(db, path.with_name(path.name + ".lock"))
    except BaseException:  # a start cut short too: its thread would keep the process alive
        await db.close()
        raise
    return db


async def _migrated_alone(db: aiosqlite.Connection, lock_path: Path) -> None:
    """Processes starting at once (workers beside `up`) set the database up one after the
    other: the second finds the schema made instead of making it again ("table already
    exists"), and finds the file in WAL already. Switching a new file to WAL needs it to
    itself: two processes switching together had one refused at once, without waiting
    ("database is locked", a worker that did not start, seen in a shuffled test run)."""
    lock = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        await asyncio.to_thread(fcntl.flock, lock, fcntl.LOCK_EX)
        await db.execute("PRAGMA journal_mode = WAL")
        await migrate(db)
    finally:
        os.close(lock)  # and with it the lock


@_one_unit
async def ensure_admin(db: aiosqlite.Connection) -> str | None:
    """Create the first `admin` with a generated password; returns it, once, or None if present."""
    async with db.execute("SELECT 1 FROM users WHERE role = 'admin' LIMIT 1") as cursor:
        if await cursor.fetchone():
            return None
    password = secrets.token_urlsafe(15)
    hashed = await hash_password(password)
    now = _now()
    await db.execute(
        "INSERT OR IGNORE INTO orgs (id, name, created_at) VALUES (?, ?, ?)",
        (SYSTEM_ORG, "システム管理", now),
    )
    await db.execute(
        "INSERT INTO users (login, org, role, personal_info, password_hash,"
        " password_changed_at, must_change_password) VALUES ('admin', ?, 'admin', 0, ?, ?, 1)",
        (SYSTEM_ORG, hashed, now),
    )
    await db.commit()
    return password


class AccountExists(ValueError):
    pass


def _user(row: aiosqlite.Row | tuple[object, ...]) -> User:
    names = (
        "login",
        "org",
        "role",
        "personal_info",
        "password_hash",
        "password_changed_at",
        "must_change_password",
        "failed_attempts",
        "locked_until",
    )
    return User.model_validate(dict(zip(names, row, strict=True)))


_SELECT_USERS = (
    "SELECT login, org, role, personal_info, password_hash, password_changed_at,"
    " must_change_password, failed_attempts, locked_until FROM users"
)


@_one_unit
async def add_org(db: aiosqlite.Connection, org: Org) -> None:
    try:
        await db.execute(
            "INSERT INTO orgs (id, name, created_at) VALUES (?, ?, ?)", (org.id, org.name, _now())
        )
    except aiosqlite.IntegrityError:
        raise AccountExists(f"organisation {org.id!r} already exists") from None
    await db.commit()


@_one_unit
async def list_orgs(db: aiosqlite.Connection) -> list[Org]:
    async with db.execute("SELECT id, name FROM orgs ORDER BY id") as cursor:
        return [Org(id=str(row[0]), name=str(row[1])) for row in await cursor.fetchall()]


@_one_unit
async def get_org(db: aiosqlite.Connection, org_id: str) -> Org | None:
    async with db.execute("SELECT id, name FROM orgs WHERE id = ?", (org_id,)) as cursor:
        row = await cursor.fetchone()
    return Org(id=str(row[0]), name=str(row[1])) if row else None


@_one_unit
async def add_user(db: aiosqlite.Connection, user: User) -> None:
    try:
        await db.execute(
            "INSERT INTO users (login, org, role, personal_info, password_hash,"
            " password_changed_at, must_change_password) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                user.login,
                user.org,
                user.role,
                int(user.personal_info),
                user.password_hash,
                user.password_changed_at.isoformat(),
                int(user.must_change_password),
            ),
        )
    except aiosqlite.IntegrityError:
        raise AccountExists(f"login {user.login!r} already exists") from None
    await db.commit()


@_one_unit
async def get_user(db: aiosqlite.Connection, login: str) -> User | None:
    async with db.execute(_SELECT_USERS + " WHERE login = ?", (login,)) as c:
        row = await c.fetchone()
    return _user(row) if row else None


@_one_unit
async def list_users(db: aiosqlite.Connection, org: str) -> list[User]:
    query = _SELECT_USERS + " WHERE org = ? ORDER BY login"
    async with db.execute(query, (org,)) as cursor:
        return [_user(row) for row in await cursor.fetchall()]


# The new count restarts at 1 when a lock has run out; a running lock is kept; the lock is set
# when the count reaches the threshold. SET expressions see the row as it was.
COUNT_FAILURE = """
UPDATE users SET
  failed_attempts = CASE WHEN locked_until IS NOT NULL AND locked_until <= :now
    THEN 1 ELSE failed_attempts + 1 END,
  locked_until = CASE
    WHEN locked_until IS NOT NULL AND locked_until > :now THEN locked_until
    WHEN (CASE WHEN locked_until IS NOT NULL AND locked_until <= :now
      THEN 1 ELSE failed_attempts + 1 END) >= :threshold THEN :until
    ELSE locked_until END
WHERE login = :login
RETURNING failed_attempts, locked_until
"""


@_one_unit
async def count_failure(
    db: aiosqlite.Connection, login: str, now: datetime, threshold: int, lock_for: timedelta
) -> tuple[int, datetime | None]:
    """One more failed sign-in of `login`, counted in one statement so that concurrent
    failures all count; the new count and lock (set when the count reaches `threshold`; a lock
    that has run out starts the count afresh; one still running is kept, and its tries count)."""
    values = {
        "now": now.isoformat(),
        "until": (now + lock_for).isoformat(),
        "threshold": threshold,
        "login": login,
    }
    async with db.execute(COUNT_FAILURE, values) as cursor:
        row = await cursor.fetchone()
    await db.commit()
    if row is None:
        return 0, None
    return int(row[0]), datetime.fromisoformat(row[1]) if row[1] else None


@_one_unit
async def set_lock(db: aiosqlite.Connection, login: str, until: datetime | None) -> None:
    await db.execute(
        "UPDATE users SET locked_until = ?, failed_attempts = 0 WHERE login = ?",
        (until.isoformat() if until else None, login),
    )
    await db.commit()


@_one_unit
async def record_success(db: aiosqlite.Connection, login: str) -> None:
    await db.execute(
        "UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE login = ?", (login,)
    )
    await db.commit()


@_one_unit
async def previous_hashes(db: aiosqlite.Connection, login: str, count: int) -> list[str]:
    query = (
        "SELECT password_hash FROM password_history WHERE login = ?"
        " ORDER BY changed_at DESC LIMIT ?"
    )
    async with db.execute(query, (login, count)) as cursor:
        return [str(row[0]) for row in await cursor.fetchall()]


@_one_unit
async def set_password(
    db: aiosqlite.Connection, login: str, new_hash: str, now: datetime, must_change: bool
) -> None:
    """Replace the password; the old hash goes to the history that refuses reuse."""
    await db.execute(
        "INSERT INTO password_history (login, password_hash, changed_at)"
        " SELECT login, password_hash, password_changed_at FROM users WHERE login = ?",
        (login,),
    )
    await db.execute(
        "UPDATE users SET password_hash = ?, password_changed_at = ?, must_change_password = ?,"
        " failed_attempts = 0, locked_until = NULL WHERE login = ?",
        (new_hash, now.isoformat(), int(must_change), login),
    )
    await db.commit()
