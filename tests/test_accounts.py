from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from infra.accounts import (
    MIGRATIONS,
    add_org,
    add_user,
    count_failure,
    ensure_admin,
    get_user,
    list_users,
    migrate,
    open_accounts,
)
from infra.passwords import hash_password, verify_password
from schemas.accounts import Org, User


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


async def test_concurrent_calls_on_one_connection_all_complete_and_all_count(
    tmp_path: Path,
) -> None:
    """The web app shares one connection: a commit while another call's statement is still
    stepping failed ("cannot commit transaction - SQL statements in progress") under load."""
    db = await open_accounts(tmp_path / "accounts.sqlite3")
    try:
        await add_org(db, Org(id="race", name="競合"))
        now = datetime.now(UTC)
        await add_user(
            db,
            User(
                login="race-user",
                org="race",
                role="staff",
                personal_info=False,
                password_hash=await hash_password("x" * 16),
                password_changed_at=now,
                must_change_password=False,
            ),
        )
        rounds = 60

        async def read_then_fail(reads: int) -> int:
            # Callers at different points of their work: one's commit meets another's
            # statement between its execution and its end.
            for _ in range(reads):
                assert await get_user(db, "race-user") is not None
            count, _ = await count_failure(db, "race-user", now, 10**6, timedelta(minutes=15))
            return count

        counts = sorted(await asyncio.gather(*(read_then_fail(n % 4) for n in range(rounds))))
        assert counts == list(range(1, rounds + 1))  # every failure counted once, in turn
        user = await get_user(db, "race-user")
        assert user is not None and user.failed_attempts == rounds
        assert [u.login for u in await list_users(db, "race")] == ["race-user"]
    finally:
        await db.close()


REPO = Path(__file__).resolve().parent.parent
OPEN_WHEN_TOLD = """
import asyncio, sys, time
from pathlib import Path
from infra.accounts import open_accounts

go, deadline = Path(sys.argv[2]), time.monotonic() + 60
while not go.exists() and time.monotonic() < deadline:  # all imported: open together
    pass
# Each a little later than the one before: one switches the file to WAL while another is
# making its tables, where the refusal was seen.
started = time.monotonic()
while time.monotonic() < started + float(sys.argv[3]):
    pass


async def main() -> None:
    db = await open_accounts(Path(sys.argv[1]))
    await db.close()


asyncio.run(main())
"""


async def test_processes_opening_a_new_database_at_once_all_start(tmp_path: Path) -> None:
    """Workers started beside each other on a fresh --data: switching the new file to WAL needs
    it to itself, and a second process doing the same at that moment was refused ("database is
    locked") and the worker did not start."""
    for attempt in range(4):
        path, go = tmp_path / f"accounts{attempt}.sqlite3", tmp_path / f"go{attempt}"
        processes = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                OPEN_WHEN_TOLD,
                str(path),
                str(go),
                str(0.003 * n),
                cwd=REPO,
                stderr=asyncio.subprocess.PIPE,
            )
            for n in range(8)
        ]
        go.touch()
        for process in processes:
            _, err = await asyncio.wait_for(process.communicate(), 60)
            assert process.returncode == 0, err.decode()[-300:]
        db = await open_accounts(path)
        async with db.execute("PRAGMA journal_mode") as cursor:
            assert await cursor.fetchone() == ("wal",)
        await db.close()
