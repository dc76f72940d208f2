"""`madoguchi audit replay [--since ISO8601] [--verify] [--format jsonl|csv]`, `public-key`."""

from __future__ import annotations

import csv
import io
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy

from events.catalog import AUDIT, AUDIT_CHECKPOINT_SUBJECT
from handlers.audit.chain import verify
from handlers.cli_support import run_with_bus
from infra.signing import load_or_create, load_public, public_pem
from schemas.audit import AuditEntry, Checkpoint


async def read_chain(js: JetStreamContext) -> tuple[list[AuditEntry], list[Checkpoint]]:
    """Every entry and checkpoint, in stream order (an ordered consumer up to the last message)."""
    last = (await js.stream_info(AUDIT.name)).state.last_seq
    entries: list[AuditEntry] = []
    checkpoints: list[Checkpoint] = []
    if not last:
        return entries, checkpoints
    sub = await js.subscribe(
        ">", stream=AUDIT.name, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL
    )
    try:
        while True:
            msg = await sub.next_msg(timeout=10)
            if msg.subject == AUDIT_CHECKPOINT_SUBJECT:
                checkpoints.append(Checkpoint.model_validate_json(msg.data))
            else:
                entries.append(AuditEntry.model_validate_json(msg.data))
            if msg.metadata.sequence.stream >= last:
                return entries, checkpoints
    finally:
        await sub.unsubscribe()


def render(entries: list[AuditEntry], fmt: str) -> str:
    if fmt == "jsonl":
        return "".join(entry.model_dump_json() + "\n" for entry in entries)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["index", "recorded_at", "subject", "source_stream", "source_seq", "hash"])
    for e in entries:
        writer.writerow(
            [e.index, e.recorded_at.isoformat(), e.subject, e.source_stream, e.source_seq, e.hash]
        )
    return buffer.getvalue()


@click.group()
def audit() -> None:
    """The tamper-evident audit record."""


@audit.command("replay")
@click.option(
    "--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"])
)
@click.option("--verify", "check", is_flag=True, help="recompute the chain and check signatures")
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True
)
@click.option(
    "--public-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="the auditors' copy of the checkpoint key (default: this deployment's)",
)
@click.pass_obj
def replay(
    obj: dict[str, Any], since: datetime | None, check: bool, fmt: str, public_key: Path | None
) -> None:
    """Print every event in order; with --verify, exit 1 naming the first broken link."""
    pem = public_key.read_bytes() if public_key else None

    async def work(client: Client) -> int:
        entries, checkpoints = await read_chain(client.jetstream())
        shown = entries
        if since is not None:
            floor = since if since.tzinfo else since.astimezone()
            shown = [e for e in entries if e.recorded_at >= floor]
        sys.stdout.write(render(shown, fmt))
        if not check:
            return 0
        key = (
            load_public(pem)
            if pem is not None
            else load_or_create(Path(obj["data"]) / "keys").public_key()
        )
        verdict = verify(entries, checkpoints, key)
        if not verdict.ok:
            click.echo(f"audit chain broken: {verdict.problem}", err=True)
            return 1
        click.echo(
            f"audit chain verified: {verdict.entries} entries, "
            f"{verdict.checkpoints} signed checkpoints",
            err=True,
        )
        return 0

    run_with_bus(obj, work)


@audit.command("public-key")
@click.pass_obj
def public_key_command(obj: dict[str, Any]) -> None:
    """Print the checkpoint signing key's public half (PEM), for auditors."""
    click.echo(public_pem(load_or_create(Path(obj["data"]) / "keys").public_key()), nl=False)
