"""The OCR room's commands: `scan`, `template add|list`, `export`, `watch`."""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import click
from nats.aio.client import Client
from nats.js.errors import APIError
from pydantic import ValidationError

from events.envelope import Publisher, new_event_id
from handlers.cli_support import _org, cli_settings, invalid_file, require_org, run_with_bus
from handlers.ocr import records
from handlers.ocr.export import to_csv
from handlers.ocr.pipeline import limits_from
from handlers.ocr.records import export_table
from handlers.ocr.scanner_client import (
    HandIn,
    ScannerBus,
    hand_in,
    run_as_scanner,
    scanner_org,
)
from handlers.ocr.submit import submit_scan
from infra.pi_store import open_pi_store
from infra.store import StoreFull, is_store_full
from schemas.events import DataExported
from schemas.forms import FormTemplate
from schemas.ocr import DocumentResult
from schemas.scan_intake import BusCredentials, ScanSubmitReply

OUTCOME_SUBJECTS = ("ocr.completed", "ocr.failed", "document.rejected")
EXPORTED = Publisher("ocr", "cli:export", DataExported)


class OutcomeWaiter:
    """Hears how each document ends; subscribe before submitting so nothing is missed."""

    def __init__(self, client: Client, org: str) -> None:
        self.client = client
        self.org = org
        self.settled: dict[str, str] = {}
        self.changed = asyncio.Event()

    async def start(self) -> None:
        for subject in OUTCOME_SUBJECTS:
            await self.client.subscribe(f"{subject}.{self.org}", cb=self._heard)

    async def _heard(self, msg: Any) -> None:
        document_id = json.loads(msg.data).get("document_id")
        if document_id:
            self.settled[document_id] = msg.subject.rsplit(".", 1)[0]
            self.changed.set()

    async def wait(self, ids: list[str], progress: Callable[[int, int], None]) -> None:
        while True:
            done = sum(1 for i in ids if i in self.settled)
            progress(done, len(ids))
            if done == len(ids):
                return
            self.changed.clear()
            await self.changed.wait()


def handed_in_lines(files: tuple[Path, ...], ids: list[str], as_json: bool) -> list[str]:
    """After the store refused a file: which files were handed in (with their ids) and which
    were not, in order, so that the operator hands in only the rest once there is room."""
    lines = []
    for n, path in enumerate(files):
        if n < len(ids):
            entry = {"file": path.name, "document_id": ids[n], "handed_in": True}
            text = f"{path.name}: 受付済み / handed in {ids[n]}"
        else:
            entry = {"file": path.name, "handed_in": False}
            text = f"{path.name}: 未受付 / not handed in"
        lines.append(json.dumps(entry, ensure_ascii=False) if as_json else text)
    return lines


def summary(name: str, result: DocumentResult) -> str:
    review = sum(1 for f in result.fields.values() if f.needs_review)
    reason = f" ({result.reason})" if result.reason else ""
    return f"{name}: {result.status}{reason}, fields {len(result.fields)}, needs review {review}"


def _progress(enabled: bool) -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        if enabled:
            end = "\n" if done == total else ""
            click.echo(f"\r読み取り中 {done}/{total}", err=True, nl=False)
            click.echo(end, err=True, nl=False)

    return show


def optional_org(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    return None if value is None else _org(value)


def bus_options(command: Callable[..., None]) -> Callable[..., None]:
    """`--creds FILE [--nats-url URL]`: run as a scanner PC, with scanner credentials only."""
    command = click.option(
        "--creds",
        "creds_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="hand in over the bus with these credentials (`madoguchi creds scanner --out`)",
    )(command)
    return click.option("--nats-url", help="the bus (URL,...) for --creds; default: the file's")(
        command
    )


def operator_org(org: str | None, nats_url: str | None) -> str:
    """Without --creds: the host's full access, --org required, the bus from --data."""
    if nats_url is not None:
        raise click.UsageError("--nats-url goes with --creds (a scanner PC's credentials)")
    if org is None:
        raise click.UsageError("Missing option '--org' (or hand in with --creds FILE)")
    return org


def scanner_line(name: str, reply: ScanSubmitReply, as_json: bool) -> str:
    """What a scanner PC may know: accepted (with the id) or rejected (with the reason)."""
    shown = reply.model_dump(include={"document_id", "status", "reason_code", "reason"})
    if as_json:
        return json.dumps({k: v for k, v in shown.items() if v is not None}, ensure_ascii=False)
    reason = f" ({reply.reason})" if reply.reason else ""
    return f"{name}: {reply.status} {reply.document_id or ''}{reason}".rstrip()


def scan_as_scanner(
    files: tuple[Path, ...], options: HandIn, as_json: bool, creds_file: Path, url: str | None
) -> None:
    async def work(bus: ScannerBus, creds: BusCredentials) -> int:
        handing = replace(options, org=scanner_org(creds, options.org or None))
        for path in files:
            click.echo(scanner_line(path.name, await hand_in(bus, path, handing), as_json))
        return 0

    run_as_scanner(creds_file, url, work)


@click.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--org", callback=optional_org, help="required without --creds")
@click.option("--template", "template_id", help="the form definition to read fields by")
@click.option("--personal-info", is_flag=True, help="the scan holds personal information")
@click.option("--wait", is_flag=True, help="wait for the results and print them")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per file, in order")
@click.option(
    "--timeout", type=float, default=1800.0, show_default=True, help="seconds to wait with --wait"
)
@bus_options
@click.pass_obj
def scan(
    obj: dict[str, Any],
    files: tuple[Path, ...],
    org: str | None,
    template_id: str | None,
    personal_info: bool,
    wait: bool,
    as_json: bool,
    timeout: float,
    creds_file: Path | None,
    nats_url: str | None,
) -> None:
    """Hand in scans for OCR (what a scanner PC runs).

    With --creds FILE, over the bus as that scanner: each file is `accepted` or `rejected`
    (a scanner may not read results back, so --wait adds nothing; staff see the results).
    """
    if creds_file is not None:
        options = HandIn(org or "", template_id, personal_info, timeout)
        scan_as_scanner(files, options, as_json, creds_file, nats_url)
        return
    org = operator_org(org, nats_url)
    settings = cli_settings(obj)

    async def work(client: Client) -> int:
        js = client.jetstream()
        store = open_pi_store(js, Path(obj["data"]))
        if template_id and await records.load_template(js, org, template_id) is None:
            raise click.ClickException(
                f"no template {template_id!r} for org {org!r}: add it with `madoguchi template add`"
            )
        waiter = OutcomeWaiter(client, org)
        if wait:
            await waiter.start()
        ids: list[str] = []
        for path in files:
            try:
                submitted = await submit_scan(
                    js,
                    store,
                    org=org,
                    data=path.read_bytes(),
                    template_id=template_id,
                    personal_info=personal_info,
                    source="cli",
                    limits=limits_from(settings.ocr),
                )
            except APIError as exc:
                if not is_store_full(exc):
                    raise
                click.echo("\n".join(handed_in_lines(files, ids, as_json)))
                raise StoreFull() from None
            ids.append(submitted.document_id)
        if not wait:
            for path, document_id in zip(files, ids, strict=True):
                line = {"document_id": document_id, "file": path.name}
                click.echo(
                    json.dumps(line, ensure_ascii=False)
                    if as_json
                    else f"{path.name}: {document_id}"
                )
            return 0
        try:
            await asyncio.wait_for(waiter.wait(ids, _progress(sys.stderr.isatty())), timeout)
        except TimeoutError:
            raise click.ClickException(f"results not ready after {timeout:.0f}s") from None
        for path, document_id in zip(files, ids, strict=True):
            result = await records.load_result(store, document_id)
            if result is None:
                result = DocumentResult(document_id=document_id, status="failed")
            click.echo(
                json.dumps(result.public(), ensure_ascii=False)
                if as_json
                else summary(path.name, result)
            )
        return 0

    run_with_bus(obj, work)


@click.group()
def template() -> None:
    """Form definitions (templates)."""


@template.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", required=True, callback=lambda c, p, v: _org(v))
@click.pass_obj
def template_add(obj: dict[str, Any], file: Path, org: str) -> None:
    """Register (or replace) a form definition for ORG."""
    try:
        form = FormTemplate.model_validate_json(file.read_bytes())
    except ValidationError as exc:
        raise invalid_file(file, exc) from None

    async def work(client: Client) -> int:
        await require_org(Path(obj["data"]), org)
        await records.save_template(client.jetstream(), org, form)
        click.echo(f"template {form.id} ({form.name}, {len(form.fields)} fields) saved for {org}")
        return 0

    run_with_bus(obj, work)


@template.command("list")
@click.option("--org", required=True, callback=lambda c, p, v: _org(v))
@click.pass_obj
def template_list(obj: dict[str, Any], org: str) -> None:
    """List the form definitions of ORG."""

    async def work(client: Client) -> int:
        for form in await records.list_templates(client.jetstream(), org):
            click.echo(f"{form.id}\t{form.name}\t{len(form.fields)} fields")
        return 0

    run_with_bus(obj, work)


@click.command()
@click.option("--org", required=True, callback=lambda c, p, v: _org(v))
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option(
    "--encoding", type=click.Choice(["utf-8-sig", "cp932"]), default="utf-8-sig", show_default=True
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="write to FILE")
@click.pass_obj
def export(obj: dict[str, Any], org: str, fmt: str, encoding: str, out: Path | None) -> None:
    """The digitised data of ORG: one row per document, verified values over read values."""

    async def work(client: Client) -> int:
        js = client.jetstream()
        columns, headers, rows = await export_table(js, open_pi_store(js, Path(obj["data"])), org)
        # Recorded before anything is written, as the web export does; the actor is the
        # account on this machine that ran the command.
        exported = DataExported(
            event_id=new_event_id(), org=org, actor=f"cli:{getpass.getuser()}", rows=len(rows)
        )
        await EXPORTED(js, exported)
        if fmt == "json":
            data = json.dumps(rows, ensure_ascii=False, indent=1, default=str).encode("utf-8")
        else:
            data, lost = to_csv(columns, headers, rows, encoding)
            if lost:
                click.echo(f"{lost} 文字は {encoding} で表せないため「?」にしました", err=True)
        if out is None:
            sys.stdout.buffer.write(data)
        else:
            out.write_bytes(data)  # noqa: ASYNC240 - a command's one write at the end
        return 0

    run_with_bus(obj, work)


def today() -> date:
    return date.today()
