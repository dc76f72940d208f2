"""`madoguchi procedure add|list`: the online procedures residents can apply for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from nats.aio.client import Client
from pydantic import ValidationError

from handlers.applications import records
from handlers.cli_support import _org, invalid_file, require_org, run_with_bus
from schemas.applications import Procedure, RegisteredProcedure


@click.group()
def procedure() -> None:
    """Online procedures (applications with attachments and fees)."""


@procedure.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", required=True, callback=lambda c, p, v: _org(v))
@click.pass_obj
def procedure_add(obj: dict[str, Any], file: Path, org: str) -> None:
    """Register (or replace) a procedure owned by ORG."""
    try:
        definition = Procedure.model_validate_json(file.read_bytes())
    except ValidationError as exc:
        raise invalid_file(file, exc) from None

    async def work(client: Client) -> int:
        await require_org(Path(obj["data"]), org)
        try:
            await records.save_procedure(
                client.jetstream(), RegisteredProcedure(org=org, procedure=definition)
            )
        except records.ProcedureTaken as taken:
            raise click.ClickException(
                f"procedure {definition.id} belongs to {taken.owner}; choose another id"
            ) from None
        fee = "no fee" if not definition.fee else f"fee {definition.fee} yen"
        click.echo(
            f"procedure {definition.id} ({definition.name}, {len(definition.fields)} fields,"
            f" {len(definition.attachment_kinds)} attachments, {fee}) saved for {org}"
        )
        return 0

    run_with_bus(obj, work)


@procedure.command("list")
@click.option("--org", callback=lambda c, p, v: _org(v) if v else None, help="only this org's")
@click.pass_obj
def procedure_list(obj: dict[str, Any], org: str | None) -> None:
    """List the procedures (of every org, or of ORG)."""

    async def work(client: Client) -> int:
        for registered in await records.list_procedures(client.jetstream(), org):
            definition = registered.procedure
            click.echo(f"{definition.id}\t{registered.org}\t{definition.name}")
        return 0

    run_with_bus(obj, work)
