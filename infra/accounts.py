"""The staff accounts database (SQLite through aiosqlite under `--data`).

Only what the foundation needs: the schema with its migrations, organisations, and the first
`admin` account. Sign-in, policies and the rest of the account lifecycle build on this.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

from infra.passwords import hash_password

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
    await db.execute("PRAGMA foreign_keys = ON")
    await db.execute("PRAGMA journal_mode = WAL")
    await migrate(db)
    return db


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
