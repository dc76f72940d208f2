"""Operators' commands: `madoguchi creds`."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import cast

import click

from events.permissions import NATS_ROLES, ORG_SCOPED_ROLES, NatsRole, inbox_prefix, nats_user
from infra.accounts import list_orgs, open_accounts
from infra.nats_server import load_or_create_passwords, recorded_url, write_private
from infra.tls import bus_client_files, bus_tls_dir, issue_client
from infra.tls import init as init_tls
from schemas.scan_intake import BusCredentials

ORG_RE = re.compile(r"^[a-z0-9_-]{1,32}$")


@click.command()
@click.argument("role", type=click.Choice(NATS_ROLES))
@click.option("--org", help="the organisation (scanner and dashboard)")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="write them to FILE (mode 0600), e.g. for `scan`/`watch --creds FILE` on a scanner PC",
)
@click.pass_obj
def creds(obj: dict[str, object], role: str, org: str | None, out: Path | None) -> None:
    """Print {"url", "user", "password", "inbox_prefix"} for a plain NATS client acting as ROLE
    (with TLS, also "ca_file", "cert_file", "key_file"; org-scoped roles, also "org").

    Clients other than `operator` must use their `inbox_prefix` (nats.py: inbox_prefix=...).
    """
    data_dir = Path(str(obj["data"]))
    if role in ORG_SCOPED_ROLES and org is None:
        raise click.UsageError(f"{role} credentials are per organisation: add --org ORG")
    if role not in ORG_SCOPED_ROLES and org is not None:
        raise click.UsageError(f"{role} credentials are not per organisation: drop --org")
    if org is not None and not ORG_RE.match(org):
        raise click.BadParameter(
            f"{org!r} is not an org id ([a-z0-9_-]{{1,32}})", param_hint="--org"
        )
    orgs = asyncio.run(_org_ids(data_dir))
    if org is not None and org not in orgs:
        raise click.ClickException(f"no organisation {org!r}: create it with `madoguchi org add`")
    user = nats_user(cast(NatsRole, role), org)
    password = load_or_create_passwords(data_dir / "nats", orgs)[user]
    found: dict[str, str | None] = {
        "url": recorded_url(data_dir),
        "user": user,
        "password": password,
        "inbox_prefix": inbox_prefix(user),
    }
    if org is not None:
        found["org"] = org
    tls_dir = bus_tls_dir(data_dir / "nats")
    if tls_dir is not None:  # the bus knows clients by certificate, not password
        cert, key = bus_client_files(tls_dir, user)
        found |= {
            "password": None,
            "ca_file": str(tls_dir / "ca.crt"),
            "cert_file": str(cert),
            "key_file": str(key),
        }
    text = BusCredentials.model_validate(found).model_dump_json(exclude_unset=True)
    if out is None:
        click.echo(text)
    else:
        write_private(out, text + "\n")
        click.echo(f"{user} credentials written to {out}")


async def _org_ids(data_dir: Path) -> list[str]:
    db = await open_accounts(data_dir / "accounts.sqlite3")
    try:
        return [org.id for org in await list_orgs(db)]
    finally:
        await db.close()


@click.group()
def tls() -> None:
    """Certificates for encrypted transport (a private CA under --data/tls)."""


@tls.command("init")
@click.option("--host", "hosts", multiple=True, help="another name or address of this server")
@click.pass_obj
def tls_init(obj: dict[str, object], hosts: tuple[str, ...]) -> None:
    """Make the CA (kept if present), the server certificate and the service's client one."""
    files = init_tls(Path(str(obj["data"])) / "tls", hosts)
    click.echo(
        f"CA: {files.ca_file}\nserver: {files.cert_file}\n"
        "turn it on with [tls] enabled = true in the settings file"
    )


@tls.command("client")
@click.argument("name")
@click.option("--zone", type=click.Choice(["SA", "SJ", "MN"]), help="the terminal's network")
@click.pass_obj
def tls_client(obj: dict[str, object], name: str, zone: str | None) -> None:
    """Issue a client certificate for a terminal or program (its OU is the zone)."""
    if not re.match(r"^[A-Za-z0-9_-]{1,64}$", name):
        raise click.BadParameter(f"{name!r}: letters, digits, '-' or '_'", param_hint="NAME")
    tls_dir = Path(str(obj["data"])) / "tls"
    if not (tls_dir / "ca.crt").exists():
        raise click.ClickException("no CA yet: run `madoguchi tls init` first")
    cert, key = issue_client(tls_dir, name, zone)
    click.echo(f"{cert}\n{key}")
