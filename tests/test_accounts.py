from __future__ import annotations

from pathlib import Path

from infra.accounts import MIGRATIONS, ensure_admin, migrate, open_accounts
from infra.passwords import hash_password, verify_password


async def test_first_admin_is_created_once_with_a_generated_password(tmp_path: Path) -> None:
    db = await open_accounts(tmp_path / "accounts.sqlite3")
    password = await ensure_admin(db)
    assert password is not None and len(password) >= 16
    assert await ensure_admin(db) is None
    async with db.execute(
        "SELECT login, role, password_hash, must_change_password FROM users"
    ) as c:
        rows = list(await c.fetchall())
    assert len(rows) == 1
    login, role, stored, must_change = rows[0]
    assert (login, role, must_change) == ("admin", "admin", 1)
    assert password not in stored
    assert await verify_password(password, stored)
    assert not await verify_password(password + "x", stored)
    await db.close()

    other = await open_accounts(tmp_path / "other.sqlite3")
    assert await ensure_admin(other) != password  # generated, never a default
    await other.close()


async def test_migrations_are_idempotent(tmp_path: Path) -> None:
    db = await open_accounts(tmp_path / "accounts.sqlite3")
    assert await migrate(db) == len(MIGRATIONS)
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    assert row is not None and row[0] == len(MIGRATIONS)
    await db.close()


async def test_scrypt_hashes_use_owasp_parameters_and_salt() -> None:
    first, second = await hash_password("correct horse"), await hash_password("correct horse")
    assert first != second
    scheme, n, r, p, *_ = first.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", 2**17, 8, 1)
    assert not await verify_password("correct horse", "garbage")
