"""Account commands: `org add`, `user add|passwd|lock|unlock|list`."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite
import click
from pydantic import ValidationError

from handlers.cli_support import unknown_org_message
from handlers.identity.policy import LOCKOUT, PROBLEM_MESSAGES, password_problems
from infra import accounts
from infra.config import SettingsError, first_problem, load_settings
from infra.nats_server import refresh_identities
from infra.passwords import hash_password
from schemas.accounts import ROLES, Org, User


def _run(obj: dict[str, Any], work: Callable[[aiosqlite.Connection], Awaitable[None]]) -> None:
    async def main() -> None:
        db = await accounts.open_accounts(Path(obj["data"]) / "accounts.sqlite3")
        try:
            await work(db)
        except (accounts.AccountExists, ValidationError, ValueError) as exc:
            message = first_problem(exc) if isinstance(exc, ValidationError) else str(exc)
            raise click.ClickException(message) from None
        finally:
            await db.close()

    asyncio.run(main())


def _read_password() -> str:
    password = sys.stdin.readline().rstrip("\n")
    if not password:
        raise click.UsageError("give the password on standard input (--password-stdin)")
    return password


async def _checked_hash(
    db: aiosqlite.Connection, obj: dict[str, Any], login: str, org_id: str, password: str
) -> str:
    try:
        settings = load_settings(obj["config"])
    except SettingsError as exc:
        raise click.ClickException(f"settings: {exc}") from None
    org = await accounts.get_org(db, org_id)
    problems = password_problems(
        password,
        min_length=settings.password.min_length,
        context_words=[login, org_id, org.name if org else ""],
    )
    if problems:
        first = PROBLEM_MESSAGES[problems[0]].format(min_length=settings.password.min_length)
        raise click.ClickException(f"password refused ({problems[0]}): {first}")
    return await hash_password(password)


@click.group()
def org() -> None:
    """Organisations (departments, groups)."""


@org.command("add")
@click.argument("org_id", metavar="ORG")
@click.option("--name", required=True, help="the organisation's name, e.g. 市民課")
@click.pass_obj
def org_add(obj: dict[str, Any], org_id: str, name: str) -> None:
    """Create an organisation (ORG: [a-z0-9_-]{1,32})."""

    async def work(db: aiosqlite.Connection) -> None:
        await accounts.add_org(db, Org(id=org_id, name=name))
        orgs = [known.id for known in await accounts.list_orgs(db)]
        reloaded = refresh_identities(Path(obj["data"]), orgs)
        note = "; its bus users are live" if reloaded else ""
        click.echo(f"organisation {org_id} ({name}) created{note}")

    _run(obj, work)


@click.group()
def user() -> None:
    """Staff accounts."""


@user.command("add")
@click.argument("login")
@click.option("--org", "org_id", required=True)
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--personal-info", is_flag=True, help="the person handles personal information")
@click.option("--password-stdin", is_flag=True, required=True, help="read the password from stdin")
@click.option("--must-change", is_flag=True, help="a one-time password: changed at first sign-in")
@click.pass_obj
def user_add(
    obj: dict[str, Any],
    login: str,
    org_id: str,
    role: str,
    personal_info: bool,
    password_stdin: bool,
    must_change: bool,
) -> None:
    """Create a staff account bound to an organisation."""
    password = _read_password()

    async def work(db: aiosqlite.Connection) -> None:
        if await accounts.get_org(db, org_id) is None:
            raise ValueError(unknown_org_message(org_id))
        hashed = await _checked_hash(db, obj, login, org_id, password)
        await accounts.add_user(
            db,
            User(
                login=login,
                org=org_id,
                role=role,
                personal_info=personal_info,
                password_hash=hashed,
                password_changed_at=datetime.now(UTC),
                must_change_password=must_change,
            ),
        )
        click.echo(f"user {login} ({role}, {org_id}) created")

    _run(obj, work)


@user.command("passwd")
@click.argument("login")
@click.option("--password-stdin", is_flag=True, required=True)
@click.option("--must-change", is_flag=True, help="the user must change it at the next sign-in")
@click.pass_obj
def user_passwd(obj: dict[str, Any], login: str, password_stdin: bool, must_change: bool) -> None:
    """Set a new password (and lift any lock)."""
    password = _read_password()

    async def work(db: aiosqlite.Connection) -> None:
        found = await accounts.get_user(db, login)
        if found is None:
            raise ValueError(f"no user {login!r}")
        hashed = await _checked_hash(db, obj, login, found.org, password)
        await accounts.set_password(db, login, hashed, datetime.now(UTC), must_change)
        click.echo(f"password of {login} set")

    _run(obj, work)


def _lock_command(name: str, lock: bool) -> click.Command:
    @click.command(name)
    @click.argument("login")
    @click.pass_obj
    def command(obj: dict[str, Any], login: str) -> None:
        async def work(db: aiosqlite.Connection) -> None:
            if await accounts.get_user(db, login) is None:
                raise ValueError(f"no user {login!r}")
            # "lock" holds the account for a long time; an admin unlocks it explicitly.
            until = datetime.now(UTC) + LOCKOUT * 100_000 if lock else None
            await accounts.set_lock(db, login, until)
            click.echo(f"{login} {'locked' if lock else 'unlocked'}")

        _run(obj, work)

    command.help = "Lock the account." if lock else "Lift a lock (after failed sign-ins too)."
    return command


user.add_command(_lock_command("lock", True))
user.add_command(_lock_command("unlock", False))


@user.command("list")
@click.option("--org", "org_id", required=True)
@click.pass_obj
def user_list(obj: dict[str, Any], org_id: str) -> None:
    """The accounts of an organisation."""

    async def work(db: aiosqlite.Connection) -> None:
        now = datetime.now(UTC)
        for found in await accounts.list_users(db, org_id):
            locked = " locked" if found.locked_until and found.locked_until > now else ""
            pi = " personal-info" if found.personal_info else ""
            click.echo(f"{found.login}\t{found.role}{pi}{locked}")

    _run(obj, work)
