"""The composition root: every room wired into the broker, the web app and the CLI."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from importlib.metadata import version
from pathlib import Path

import click
from prometheus_client import start_http_server

from events.asyncapi import render as render_asyncapi
from events.diagram import with_flow
from handlers import (
    applications,
    audit,
    dashboard,
    demo,
    identity,
    ocr,
    ops,
    payments,
    privacy,
)
from handlers.cli_support import bus_urls, cli_settings
from handlers.compose import ServeOptions, serve
from handlers.room import Room, Services
from infra.accounts import ensure_admin
from infra.config import SettingsError
from infra.logs import configure as configure_logs
from infra.nats_cluster import run_dev_cluster
from infra.nats_server import NatsServerError

ROOMS: tuple[Room, ...] = (
    ops.room,
    identity.room,
    ocr.room,
    applications.room,
    payments.room,
    dashboard.room,
    privacy.room,
    audit.room,
    demo.room,
)

# The one version number is pyproject.toml's (installed with the package).
VERSION = version("madoguchi")
EMBEDDED_ZONES_NOTE = (
    "no [zones] configured: this machine (loopback) counts as an SJ terminal, other addresses"
    " have no zone"
)


def asyncapi_document() -> str:
    """The AsyncAPI document, generated from the catalog's declaration of the event graph."""
    return render_asyncapi(VERSION)


@click.group()
@click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("var"),
    show_default=True,
    help="the embedded server's store, accounts, keys, credentials",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML settings file",
)
@click.pass_context
def cli(ctx: click.Context, data: Path, config_file: Path | None) -> None:
    """madoguchi (窓口): the event backbone of city hall AI-OCR and online applications."""
    os.umask(0o077)  # keys, credentials, stores and databases are readable by us alone
    ctx.obj = {"data": data, "config": config_file}


async def _announce(services: Services, http_port: int | None) -> None:
    admin_password = await ensure_admin(services.accounts)
    lines = [f"madoguchi {VERSION} is up", f"  bus:      {', '.join(services.nats_urls)}"]
    if http_port is not None:
        scheme = "https" if services.settings.tls.enabled else "http"
        base = f"{scheme}://127.0.0.1:{http_port}"
        lines += [
            f"  portal:   {base}/",
            f"  staff:    {base}/staff/",
            f"  health:   {base}/healthz",
            f"  metrics:  {base}/metrics",
        ]
    if services.settings.zones is None:
        lines += ["", f"  zones:    {EMBEDDED_ZONES_NOTE}"]
    if admin_password is not None:
        lines += [
            "",
            "  First start: sign in at /staff/ as 'admin' with this password",
            f"  (shown only this once; you will be asked to change it): {admin_password}",
        ]
    lines += ["", "Ctrl-C stops it cleanly."]
    click.echo("\n".join(lines))
    sys.stdout.flush()  # when logged to a file, the banner must not wait for the exit


@cli.command()
@click.option("--nats-port", type=click.IntRange(1, 65535), default=4222, show_default=True)
@click.option("--http-port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--agent-port",
    type=click.IntRange(1, 65535),
    default=8001,
    show_default=True,
    help="the sandbox payment agent",
)
@click.option(
    "--nats-url",
    callback=lambda _ctx, _param, value: bus_urls(value) if value else (),
    help="use this server or cluster (URL,...) instead of the embedded one",
)
@click.pass_obj
def up(
    obj: dict[str, object],
    nats_port: int,
    http_port: int,
    agent_port: int,
    nats_url: tuple[str, ...],
) -> None:
    """Start everything: the bus (embedded unless --nats-url), every handler, the web app."""
    options = ServeOptions(
        data_dir=Path(str(obj["data"])),
        settings=cli_settings(obj),
        nats_urls=nats_url,
        nats_port=nats_port,
        http_port=http_port,
        agent_port=agent_port,
    )

    async def ready(services: Services) -> None:
        await _announce(services, http_port)

    _run(serve(options, ROOMS, on_ready=ready))


@cli.command()
@click.option(
    "--nats-url",
    required=True,
    callback=lambda _ctx, _param, value: bus_urls(value),
    help="the server or cluster to join (URL,...)",
)
@click.option("--only", "only", multiple=True, help="run only this capability's handlers")
@click.option(
    "--metrics-port",
    type=click.IntRange(1, 65535),
    help="serve this process's Prometheus metrics (OCR pages, timings) on this port",
)
@click.option("--metrics-host", default="127.0.0.1", show_default=True)
@click.pass_obj
def worker(
    obj: dict[str, object],
    nats_url: tuple[str, ...],
    only: tuple[str, ...],
    metrics_port: int | None,
    metrics_host: str,
) -> None:
    """Run handlers only (no web app), sharing work with every other process."""
    known = {room.name for room in ROOMS if room.routers}
    unknown = set(only) - known
    if unknown:
        raise click.BadParameter(
            f"no such capability: {', '.join(sorted(unknown))}"
            f" (known: {', '.join(sorted(known)) or 'none'})",
            param_hint="--only",
        )
    rooms = [room for room in ROOMS if not only or room.name in only]
    options = ServeOptions(
        data_dir=Path(str(obj["data"])),
        settings=cli_settings(obj),
        nats_urls=nats_url,
        http_port=None,
    )

    async def ready(services: Services) -> None:
        if metrics_port is not None:
            # Workers have no web app; their counters would be invisible without this.
            start_http_server(metrics_port, addr=metrics_host)
        click.echo(f"worker running {', '.join(r.name for r in rooms)} on {','.join(nats_url)}")

    _run(serve(options, rooms, on_ready=ready))


@cli.command("dev-cluster")
@click.option("--nodes", type=click.IntRange(1, 9), default=3, show_default=True)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=4222,
    show_default=True,
    help="the first node's client port; the others count up from it",
)
@click.option(
    "--cluster-port",
    type=click.IntRange(1, 65535),
    default=6222,
    show_default=True,
    help="the first node's route port; the others count up from it",
)
@click.pass_obj
def dev_cluster(obj: dict[str, object], nodes: int, port: int, cluster_port: int) -> None:
    """Start a JetStream cluster on loopback from nats-cluster.conf; print its URLs; run until
    Ctrl-C. Then `up --nats-url URLS` and `worker --nats-url URLS` with the same --data."""
    data = Path(str(obj["data"]))
    if cli_settings(obj).tls.enabled:
        raise click.UsageError("dev-cluster serves plain connections on loopback: set [tls] off")

    def ready(urls: list[str]) -> None:
        joined = ",".join(urls)
        click.echo(f"madoguchi dev-cluster: {nodes} JetStream nodes on loopback\n{joined}\n")
        click.echo(f"  madoguchi --data {data} up --nats-url {joined}")
        click.echo(f"  madoguchi --data {data} worker --nats-url {joined} --only ocr")
        click.echo("\nCtrl-C stops it.")
        sys.stdout.flush()

    try:
        _run(run_dev_cluster(data, nodes, port, cluster_port, ready))
    except (ValueError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from None


@cli.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="write to FILE")
@click.option(
    "--readme",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="also rewrite the event-graph diagram in this README",
)
def asyncapi(out: Path | None, readme: Path | None) -> None:
    """Write the AsyncAPI document of every subject (and the README's event graph)."""
    if readme is not None:
        readme.write_text(with_flow(readme.read_text(encoding="utf-8")), encoding="utf-8")
    document = asyncapi_document()
    if out is None:
        click.echo(document, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(document, encoding="utf-8")


for _room in ROOMS:
    for _command in _room.commands:
        cli.add_command(_command)


def _run(coro: object) -> None:
    configure_logs(logging.INFO)
    try:
        asyncio.run(coro)  # type: ignore[arg-type]
    except SettingsError as exc:
        raise click.ClickException(f"settings: {exc}") from None
    except (OSError, NatsServerError) as exc:
        raise click.ClickException(str(exc)) from None


def main() -> None:
    cli(prog_name="madoguchi")
