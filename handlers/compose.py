"""The composition root: builds every piece of a running process in order, hands each room the
pieces it uses, and tears them down in reverse.

`serve()` is what `madoguchi up` and `madoguchi worker` run. In order: TLS files and the
payment agent client (a setting they cannot use stops start-up with one line, before anything
runs), the accounts DB, the bus server (embedded unless URLs are given), the broker with every
room's handlers, provisioning, the services (PI store, OCR engine), the rooms' bound routes and
background tasks, the web app, the sandbox payment agent. SIGINT/SIGTERM stop it in reverse:
the web servers first, then the handlers (in-flight work gets the broker's grace period to
finish and be acked; what does not finish is handed back to the stream), then the services,
then the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

import nats.errors
import uvicorn
from faststream.nats import NatsBroker
from starlette.applications import Starlette
from starlette.routing import BaseRoute

from handlers.room import Room, Services, Task
from infra.accounts import list_orgs, open_accounts
from infra.bus import make_broker, retry_policy
from infra.config import SettingsError
from infra.nats_server import EmbeddedNatsServer, load_or_create_passwords
from infra.ocr.engine import OcrEngine
from infra.ocr.pool import process_pool
from infra.payment_agent import HttpPaymentAgent
from infra.payment_keys import AgentSecrets, agent_secrets
from infra.payment_sandbox import SandboxAgent
from infra.pi_store import open_pi_store
from infra.provisioning import provision_all
from infra.tls import (
    TlsFiles,
    bus_client_files,
    check_files,
    client_context,
    files_for,
    forget_client_config,
    save_client_config,
)
from infra.web import build_web_app, start_web, web_server
from schemas.settings import Settings


@dataclass(frozen=True)
class ServeOptions:
    data_dir: Path
    settings: Settings
    nats_urls: Sequence[str] = ()  # empty: start the embedded server
    nats_port: int = 4222
    http_host: str = "127.0.0.1"
    http_port: int | None = 8000  # None: no web app (a worker)
    agent_port: int | None = None  # serve the sandbox payment agent here
    graceful_timeout: float = 10.0


log = logging.getLogger("madoguchi.compose")
# The pieces bus handlers take by name (`js: JetStreamContext = Context("js")`), each set in
# the broker's context; FastStream adds "broker" itself.
BUS_PIECES = ("settings", "data_dir", "js", "pi_store", "ocr")

ReadyHook = Callable[[Services], Awaitable[None]]
SIGNALS = (signal.SIGINT, signal.SIGTERM)


async def serve(
    options: ServeOptions,
    rooms: Sequence[Room],
    on_ready: ReadyHook | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Build everything, serve until `stop` (or SIGINT/SIGTERM), then close it in reverse."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    try:
        async with AsyncExitStack() as stack:
            await _serve(options, rooms, stack, on_ready, stop)
            _forget_signals(loop)  # a second Ctrl-C may now interrupt a slow shutdown
    except StoppedBeforeStart:
        log.info("stopped before start-up finished: the bus was never reached")
    finally:
        _forget_signals(loop)


async def _serve(
    options: ServeOptions,
    rooms: Sequence[Room],
    stack: AsyncExitStack,
    on_ready: ReadyHook | None,
    stop: asyncio.Event,
) -> None:
    """Each piece in order, its closing pushed on `stack`; then serve until `stop`."""
    _ports_free(options)
    with _setting("tls"):
        tls_files, mapped = _tls(options)
    secrets = agent_secrets(options.settings.payment_agent, options.data_dir)
    with _setting("payment_agent"):
        payment_agent = _payment_agent(options, secrets.api_key, tls_files)
    stack.push_async_callback(payment_agent.aclose)
    accounts = await open_accounts(options.data_dir / "accounts.sqlite3")
    stack.push_async_callback(accounts.close)
    orgs = [org.id for org in await list_orgs(accounts)]
    operator_password = load_or_create_passwords(options.data_dir / "nats", orgs)["operator"]
    urls, store_limit = await _bus_server(options, orgs, tls_files, mapped, stack)
    broker = make_broker(
        urls,
        None if mapped else operator_password,
        retry_policy(options.settings.reliability),
        graceful_timeout=options.graceful_timeout,
        ssl_context=client_context(tls_files) if tls_files else None,
    )
    for router in (router for room in rooms for router in room.routers):
        broker.include_router(router)
    ocr = OcrEngine(
        process_pool(options.settings.ocr.workers or None, languages=options.settings.ocr.languages)
    )
    stack.callback(ocr.close)  # its worker processes start on the first page read
    await _reach_bus(broker, urls, stop)
    await stack.enter_async_context(_connected(broker, options.graceful_timeout))
    js = broker.connection.jetstream()
    await provision_all(js, options.settings.retention)
    services = Services(
        settings=options.settings,
        data_dir=options.data_dir,
        broker=broker,
        js=js,
        nats_urls=urls,
        accounts=accounts,
        pi_store=open_pi_store(js, options.data_dir),
        ocr=ocr,
        agent_secrets=secrets,
        payment_agent=payment_agent,
        store_limit=store_limit,
    )
    for name in BUS_PIECES:
        broker.context.set_global(name, getattr(services, name))
    wired = [room.wire(services) for room in rooms]
    await broker.start()
    for task in (task for room in wired for task in room.tasks):
        _background(stack, _supervised(task))
    (options.data_dir / "nats" / "url").write_text(",".join(urls))
    if options.http_port is not None:
        routes = [route for room in wired for route in room.routes]
        await _web(options, routes, tls_files, secrets, stack)
    if on_ready is not None:
        await on_ready(services)
    await stop.wait()


async def _bus_server(
    options: ServeOptions,
    orgs: list[str],
    tls_files: TlsFiles | None,
    mapped: bool,
    stack: AsyncExitStack,
) -> tuple[list[str], int | None]:
    """The bus's URLs, and its store limit when it is our own embedded server."""
    if options.nats_urls:
        return list(options.nats_urls), None
    server = EmbeddedNatsServer(
        options.data_dir,
        options.nats_port,
        orgs,
        tls=tls_files,
        require_client_certs=mapped,
        max_store_bytes=_megabytes(options.settings.bus.max_store_mb),
    )
    url = await server.start()
    stack.push_async_callback(server.stop)
    return [url], server.max_store_bytes


async def _web(
    options: ServeOptions,
    routes: list[BaseRoute],
    tls_files: TlsFiles | None,
    secrets: AgentSecrets,
    stack: AsyncExitStack,
) -> None:
    """The web app, and beside it the sandbox payment agent when asked for."""
    app = build_web_app(routes, options.settings.web)
    await stack.enter_async_context(_site(_web_server(options, app, tls_files)))
    if options.agent_port is None:
        return
    sandbox = _sandbox(options, secrets.webhook_secret, secrets.api_key, tls_files)
    stack.push_async_callback(sandbox.aclose)
    _background(stack, sandbox.deliver_forever())
    site = web_server(sandbox.app, options.http_host, options.agent_port, tls_files, "off")
    await stack.enter_async_context(_site(site))


def _ports_free(options: ServeOptions) -> None:
    """Refuse a port another program holds, in one line naming the option, before anything
    starts: the bus server's readiness probe would greet that program instead, and uvicorn
    exits without saying so to us."""
    wanted = {"--http-port": options.http_port, "--agent-port": options.agent_port}
    if not options.nats_urls:
        wanted["--nats-port"] = options.nats_port
    for option, port in wanted.items():
        if not port:  # none, or any free port
            continue
        try:
            socket.create_server((options.http_host, port)).close()
        except OSError as exc:
            raise OSError(f"{option} {port}: {os.strerror(exc.errno or 0)}") from None


@contextmanager
def _setting(section: str) -> Iterator[None]:
    """A settings section whose files or values cannot be used: one line naming it, before
    anything starts (the command prints it; no traceback, no secret: messages name files and
    hosts only)."""
    try:
        yield
    except (ValueError, OSError) as exc:
        raise SettingsError(f"{section}: {exc}") from None


def _forget_signals(loop: asyncio.AbstractEventLoop) -> None:
    for sig in SIGNALS:
        loop.remove_signal_handler(sig)


def _tls(options: ServeOptions) -> tuple[TlsFiles | None, bool]:
    """The service's TLS files (None: plain), and whether the bus knows it by its certificate."""
    tls = options.settings.tls
    if not tls.enabled:
        forget_client_config(options.data_dir / "nats")
        return None, False
    files = files_for(tls, options.data_dir)
    check_files(files)
    mapped = tls.client_certs == "required"
    if mapped:
        cert, key = bus_client_files(files.ca_file.parent, "operator")
        files = replace(files, client_cert=cert, client_key=key)
    save_client_config(options.data_dir / "nats", files, mapped)
    return files, mapped


def _payment_agent(
    options: ServeOptions, api_key: str, tls_files: TlsFiles | None
) -> HttpPaymentAgent:
    """The configured agent, else the sandbox this process serves (trusted by our own CA)."""
    agent = options.settings.payment_agent
    if agent.url is not None:
        return HttpPaymentAgent(agent.url, api_key, ca_file=agent.ca_file)
    scheme = "https" if tls_files is not None else "http"
    return HttpPaymentAgent(
        f"{scheme}://127.0.0.1:{options.agent_port or 8001}",
        api_key,
        ca_file=agent.ca_file or (tls_files.ca_file if tls_files is not None else None),
    )


def _web_server(
    options: ServeOptions, app: Starlette, tls_files: TlsFiles | None
) -> uvicorn.Server:
    return web_server(
        app,
        options.http_host,
        options.http_port or 0,
        tls_files,
        options.settings.tls.client_certs,
        options.settings.web,
    )


def _megabytes(size: float | None) -> int | None:
    return int(size * 1024 * 1024) if size else None


class StoppedBeforeStart(Exception):
    """Ctrl-C (or `stop`) came while start-up still waited for the bus."""


# Reaching the bus is retried for ever (a bus that restarts is waited for, not given up on).
# So start-up says that it waits, and Ctrl-C ends the wait: before, an operator with the bus
# down saw a silent process that ignored Ctrl-C.
BUS_WAIT_NOTICE_SECONDS = 5.0
BUS_WAIT_REPEAT_SECONDS = 30.0


async def _reach_bus(broker: NatsBroker, urls: Sequence[str], stop: asyncio.Event) -> None:
    """Connect the broker, saying so while the bus cannot be reached; StoppedBeforeStart if
    `stop` is set first."""
    connecting = asyncio.ensure_future(broker.connect())
    stopping = asyncio.ensure_future(stop.wait())
    waited, wait = 0.0, BUS_WAIT_NOTICE_SECONDS
    try:
        while True:
            done, _ = await asyncio.wait(
                {connecting, stopping}, timeout=wait, return_when=asyncio.FIRST_COMPLETED
            )
            if connecting in done:
                connecting.result()
                return
            if stopping in done:
                raise StoppedBeforeStart
            waited += wait
            log.warning(
                "the bus at %s cannot be reached yet; still trying after %.0f s (Ctrl-C stops)",
                ", ".join(_where(url) for url in urls),
                waited,
            )
            wait = BUS_WAIT_REPEAT_SECONDS
    finally:
        for task in (connecting, stopping):
            task.cancel()
        await asyncio.gather(connecting, stopping, return_exceptions=True)


def _where(url: str) -> str:
    """A bus URL without any user or password in it, for the log."""
    parts = urlsplit(url)
    host = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
    return f"{parts.scheme}://{host}" if parts.scheme else host


@asynccontextmanager
async def _connected(broker: NatsBroker, graceful_timeout: float) -> AsyncIterator[None]:
    """The connected broker, stopped on the way out, bounded: with the bus gone, draining
    the subscriptions would wait for ever."""
    try:
        yield
    finally:
        try:
            await asyncio.wait_for(broker.stop(), timeout=graceful_timeout + 5)
        except (TimeoutError, nats.errors.Error) as exc:
            log.warning(
                "bus unreachable while stopping (%s); unfinished work will be redelivered",
                type(exc).__name__,
            )
            with contextlib.suppress(Exception):
                await broker.connection.close()


@asynccontextmanager
async def _site(web: uvicorn.Server) -> AsyncIterator[None]:
    task = await start_web(web)
    try:
        yield
    finally:
        web.should_exit = True
        await task


def _background(stack: AsyncExitStack, work: Awaitable[None]) -> None:
    running = asyncio.ensure_future(work)
    stack.callback(running.cancel)


def _sandbox(
    options: ServeOptions, webhook_secret: str, api_key: str, tls_files: TlsFiles | None
) -> SandboxAgent:
    """The stand-in payment agent, sending its notifications to our own web app."""
    scheme = "https" if tls_files is not None else "http"
    return SandboxAgent(
        secret=webhook_secret,
        api_key=api_key,
        webhook_url=f"{scheme}://127.0.0.1:{options.http_port}/api/payment-agent/webhook",
        public_url=f"{scheme}://127.0.0.1:{options.agent_port}",
        state_file=options.data_dir / "payment_agent" / "sandbox.json",
        webhook_ssl_context=client_context(tls_files) if tls_files is not None else None,
    )


async def _supervised(task: Task) -> None:
    """Keep a background task running: restart it (after a pause) when it fails."""
    while True:
        try:
            await task()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("background task failed (%s); restarting", type(exc).__name__)
        await asyncio.sleep(5)
