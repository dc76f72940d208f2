"""What every command of every room shares: settings, the bus connection, org ids."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from nats.aio.client import Client
from nats.js.errors import APIError
from pydantic import ValidationError

from infra import accounts
from infra.bus import connect_client
from infra.config import SettingsError, first_problem, load_settings
from infra.store import STORE_FULL_LINE, StoreFull, announce_refusal, is_store_full
from schemas.settings import Settings

ORG_RE = re.compile(r"^[a-z0-9_-]{1,32}$")


def _org(value: str) -> str:
    if not ORG_RE.match(value):
        raise click.BadParameter(
            f"{value!r} is not an org id ([a-z0-9_-]{{1,32}})", param_hint="--org"
        )
    return value


BUS_SCHEMES = ("nats", "tls", "ws", "wss")


def bus_urls(value: str) -> tuple[str, ...]:
    """`--nats-url URL,...`: each a bus address without a user or password (madoguchi signs
    in with its own account from --data); refused in one line, never echoing a password."""
    urls = tuple(url.strip() for url in value.split(",") if url.strip())
    for url in urls:
        try:
            parts = urlsplit(url)
            _ = parts.port  # a port that is not a number raises here
        except ValueError:
            raise click.BadParameter("a URL is not valid", param_hint="--nats-url") from None
        if parts.username or parts.password or "@" in url:  # user:pw@host has no scheme
            raise click.BadParameter(
                "a URL carries a user or password: give the address only"
                " (the account comes from --data)",
                param_hint="--nats-url",
            )
        if parts.scheme not in BUS_SCHEMES or not parts.hostname:
            raise click.BadParameter(
                "a URL is not a bus address like nats://HOST:4222", param_hint="--nats-url"
            )
    if not urls:
        raise click.BadParameter("no URL given", param_hint="--nats-url")
    return urls


def unknown_org_message(org: str) -> str:
    return f"no organisation {org!r}: create it first with `madoguchi org add {org} --name NAME`"


async def require_org(data: Path, org: str) -> None:
    """Refuse work for an organisation nobody created (the accounts database under --data)."""
    path = data / "accounts.sqlite3"
    found = None
    if path.exists():
        db = await accounts.open_accounts(path)
        try:
            found = await accounts.get_org(db, org)
        finally:
            await db.close()
    if found is None:
        raise click.ClickException(unknown_org_message(org))


def invalid_file(file: Path, exc: ValidationError) -> click.ClickException:
    """A JSON file that failed validation: its name, where, and the first problem, on one line."""
    return click.ClickException(f"{file.name}: {first_problem(exc)}")


def cli_settings(obj: dict[str, Any]) -> Settings:
    try:
        return load_settings(obj["config"])
    except SettingsError as exc:
        raise click.ClickException(f"settings: {exc}") from None


def run_with_bus(obj: dict[str, Any], work: Callable[[Client], Awaitable[int]]) -> None:
    """Connect with the credentials under --data, run `work`, exit with its code."""

    async def main() -> int:
        try:
            client = await connect_client(Path(obj["data"]))
        except ConnectionError as exc:
            raise click.ClickException(str(exc)) from None
        try:
            return await work(client)
        except StoreFull as full:
            await announce_refusal(client)
            raise click.ClickException(str(full)) from None
        except APIError as exc:  # any command whose write the store refused: one line
            if not is_store_full(exc):
                raise
            await announce_refusal(client)
            raise click.ClickException(STORE_FULL_LINE) from None
        finally:
            await client.close()

    code = asyncio.run(main())
    if code:
        sys.exit(code)
