"""`madoguchi demo`: fills a running system with example data through the same commands and
HTTP calls a newcomer would use, so it never reaches into another room. Run again, it adds
nothing twice: what it made is remembered in `<data>/demo.json`."""

from __future__ import annotations

import contextlib
import io
import json
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import httpx
from PIL import Image, ImageDraw

from handlers.demo.plan import (
    ACCOUNTS,
    APPLICATION_ANSWERS,
    ATTACHMENT_KIND,
    DEMO_ORG,
    DEMO_ORG_NAME,
    PROCEDURE_FILE,
    DemoAccount,
    sign_in_guide,
    template_id,
    templates_and_samples,
)

# The repository's examples/, or, installed from the offline bundle, where install.sh puts them.
EXAMPLES = next(
    (
        found
        for found in (
            Path(__file__).resolve().parents[2] / "examples",
            Path(sys.prefix) / "share" / "madoguchi" / "examples",
        )
        if found.is_dir()
    ),
    Path("examples"),
)
RECORD = "demo.json"
Run = Callable[..., str]


class StepFailed(click.ClickException):
    """A command the demo ran refused; its own one-line reason is the message."""


def _runner(ctx: click.Context) -> Run:
    """`run("org", "add", ...)`: one `madoguchi` command in this process, as if typed."""
    root = ctx.find_root()
    base = ["--data", str(ctx.obj["data"])]
    if ctx.obj.get("config"):
        base += ["--config", str(ctx.obj["config"])]

    def run(*args: str, stdin: str = "") -> str:
        out, typed = io.StringIO(), sys.stdin
        sys.stdin = io.StringIO(stdin)
        try:
            with contextlib.redirect_stdout(out):
                root.command.main([*base, *args], prog_name="madoguchi", standalone_mode=False)
        except click.ClickException as exc:
            raise StepFailed(exc.format_message()) from None
        except SystemExit as exc:  # commands on the bus exit with their work's code
            if exc.code:
                raise StepFailed(f"madoguchi {' '.join(args[:2])} failed") from None
        finally:
            sys.stdin = typed
        return out.getvalue()

    return run


def _account(run: Run, account: DemoAccount) -> str | None:
    """The new account's one-time password; None when it exists already (left as it is)."""
    flags = ["--personal-info"] if account.personal_info else []
    for _ in range(5):
        password = secrets.token_urlsafe(12)
        try:
            run(
                *("user", "add", account.login, "--org", account.org, "--role", account.role),
                *flags,
                *("--must-change", "--password-stdin"),
                stdin=password + "\n",
            )
            return password
        except StepFailed as failed:
            if "already exists" in failed.message:
                return None
            if "password refused" not in failed.message:  # a random one may, rarely
                raise
    raise click.ClickException("could not make a password the policy accepts")


def _id_card() -> bytes:
    """A plain picture standing in for a photographed driving licence."""
    image = Image.new("RGB", (856, 540), (214, 232, 214))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 120, 260, 420), fill=(180, 190, 200))
    draw.text((320, 140), "SAMPLE - NOT A REAL DOCUMENT", fill=(40, 40, 40))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _apply(url: str, procedure_id: str) -> tuple[str, str]:
    """A resident applies on the portal's API: (application id, access code)."""
    response = httpx.post(
        f"{url}/api/applications",
        data={
            "procedure": procedure_id,
            "answers": json.dumps(APPLICATION_ANSWERS, ensure_ascii=False),
            "attachment_kinds": ATTACHMENT_KIND,
        },
        files={"attachments": ("運転免許証.png", _id_card(), "image/png")},
        timeout=30,
    )
    if response.status_code != 201:
        raise click.ClickException(f"the application was refused: {response.text[:300]}")
    body = response.json()
    return str(body["application_id"]), str(body["access_code"])


@click.command()
@click.option(
    "--url",
    default="http://127.0.0.1:8000",
    show_default=True,
    help="the web app of the running system (`madoguchi up`)",
)
@click.option(
    "--examples",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=EXAMPLES,
    help="where the example templates, procedure and scans are",
)
@click.pass_context
def demo(ctx: click.Context, url: str, examples: Path) -> None:
    """On a running system: an organisation, an account per role (one-time passwords), the
    example templates, a procedure, example scans and one application waiting for review;
    then where to sign in as whom. Run again, it adds nothing twice."""
    url = url.rstrip("/")
    try:
        httpx.get(f"{url}/healthz", timeout=5).raise_for_status()
    except httpx.HTTPError:
        raise click.ClickException(
            f"no running madoguchi at {url}: start it first (`make run`), or give --url"
        ) from None
    run = _runner(ctx)
    try:
        run("org", "add", DEMO_ORG, "--name", DEMO_ORG_NAME)
    except StepFailed as failed:
        if "already exists" not in failed.message:
            raise
    passwords = {account.login: _account(run, account) for account in ACCOUNTS}
    record_path = Path(ctx.obj["data"]) / RECORD
    record: dict[str, Any] = (
        json.loads(record_path.read_text("utf-8")) if record_path.exists() else {}
    )
    documents: list[str] = list(record.get("documents", []))
    for template, samples in templates_and_samples(examples):
        run("template", "add", str(template), "--org", DEMO_ORG)
        if samples and not record.get("documents"):
            scanned = run(
                *("scan", *map(str, samples), "--org", DEMO_ORG),
                *("--template", template_id(template), "--personal-info", "--json"),
            )
            documents += [json.loads(line)["document_id"] for line in scanned.splitlines()]
    procedure = examples / PROCEDURE_FILE
    run("procedure", "add", str(procedure), "--org", DEMO_ORG)
    application_id, access_code = record.get("application_id"), None
    if application_id is None:
        procedure_id = json.loads(procedure.read_text("utf-8"))["id"]
        application_id, access_code = _apply(url, procedure_id)
    record_path.write_text(
        json.dumps({"documents": documents, "application_id": application_id}), "utf-8"
    )
    click.echo(
        sign_in_guide(
            f"{url}/staff/", passwords, len(documents), application_id, access_code, f"{url}/"
        )
    )
