"""Operators' commands: `madoguchi creds`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import cast

import click

from events.permissions import NATS_ROLES, ORG_SCOPED_ROLES, NatsRole
from infra.nats_server import load_or_create_passwords, recorded_url

ORG_RE = re.compile(r"^[a-z0-9_-]{1,32}$")


@click.command()
@click.argument("role", type=click.Choice(NATS_ROLES))
@click.option("--org", help="the organisation (scanner and dashboard)")
@click.pass_obj
def creds(obj: dict[str, object], role: str, org: str | None) -> None:
    """Print {"url", "user", "password"} for a plain NATS client acting as ROLE."""
    data_dir = Path(str(obj["data"]))
    if role in ORG_SCOPED_ROLES and org is None:
        raise click.UsageError(f"{role} credentials are per organisation: add --org ORG")
    if role not in ORG_SCOPED_ROLES and org is not None:
        raise click.UsageError(f"{role} credentials are not per organisation: drop --org")
    if org is not None and not ORG_RE.match(org):
        raise click.BadParameter(
            f"{org!r} is not an org id ([a-z0-9_-]{{1,32}})", param_hint="--org"
        )
    password = load_or_create_passwords(data_dir / "nats")[cast(NatsRole, role)]
    click.echo(json.dumps({"url": recorded_url(data_dir), "user": role, "password": password}))
