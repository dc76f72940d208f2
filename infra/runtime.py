"""Running madoguchi: the server (embedded or not), provisioning, handlers, web app, shutdown.

`serve()` is what `madoguchi up` and `madoguchi worker` run. SIGINT/SIGTERM stop it in order:
the web server first, then the handlers (in-flight work gets the broker's grace period to
finish and be acked; what does not finish is handed back to the stream), then the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import aiosqlite
import nats.errors
import uvicorn
from faststream.nats import NatsBroker, NatsRouter
from nats.js import JetStreamContext
from starlette.routing import BaseRoute

from infra.accounts import list_orgs, open_accounts
from infra.bus import make_broker, retry_policy
from infra.nats_server import EmbeddedNatsServer, load_or_create_passwords
from infra.ocr.engine import OcrEngine
from infra.ocr.pool import process_pool
from infra.payment_agent import HttpPaymentAgent, PaymentAgent
from infra.payment_keys import AgentSecrets, agent_secrets
from infra.payment_sandbox import SandboxAgent
from infra.pi_store import PersonalDataStore, open_pi_store
from infra.provisioning import Provisioned, provision_all
from infra.tls import (
    TlsFiles,
    bus_client_files,
    check_files,
    client_context,
    files_for,
    forget_client_config,
    save_client_config,
)
from infra.web import build_web_app, web_server
from schemas.settings import Settings


@dataclass
class Runtime:
    """The shared resources of one running process, handed to handlers and routes."""

    settings: Settings
    data_dir: Path
    broker: NatsBroker
    nats_urls: list[str]
    provisioned: list[Provisioned] = field(default_factory=list)
    accounts: aiosqlite.Connection | None = None
    agent_url: str = "http://127.0.0.1:8001"  # the payment agent (default: the sandbox)
    agent_ca_file: Path | None = None
    store_limit: int | None = None  # the embedded server's max_file_store, when we started it

    @property
    def js(self) -> JetStreamContext:
        return self.broker.connection.jetstream()

    @cached_property
    def pi_store(self) -> PersonalDataStore:
        return open_pi_store(self.js, self.data_dir)

    @cached_property
    def ocr(self) -> OcrEngine:
        """Started on first use: a process that never reads a scan never spawns workers."""
        settings = self.settings.ocr
        return OcrEngine(process_pool(settings.workers or None, languages=settings.languages))

    @cached_property
    def agent_secrets(self) -> AgentSecrets:
        return agent_secrets(self.settings.payment_agent, self.data_dir)

    @cached_property
    def payment_agent(self) -> PaymentAgent:
        return HttpPaymentAgent(
            self.agent_url, self.agent_secrets.api_key, ca_file=self.agent_ca_file
        )

    async def aclose(self) -> None:
        if "ocr" in self.__dict__:
            self.ocr.close()
        if "payment_agent" in self.__dict__:
            await self.payment_agent.aclose()
        if self.accounts is not None:
            await self.accounts.close()


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


log = logging.getLogger("madoguchi.runtime")

ReadyHook = Callable[[Runtime], Awaitable[None]]
BackgroundTask = Callable[[Runtime], Awaitable[None]]


async def serve(
    options: ServeOptions,
    routers: Sequence[NatsRouter],
    routes: Sequence[BaseRoute] = (),
    on_ready: ReadyHook | None = None,
    stop: asyncio.Event | None = None,
    tasks: Sequence[BackgroundTask] = (),
) -> None:
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    tls = options.settings.tls
    tls_files = files_for(tls, options.data_dir) if tls.enabled else None
    mapped = tls_files is not None and tls.client_certs == "required"
    if tls_files is not None:
        check_files(tls_files)
        if mapped:  # the bus knows the service by its certificate
            cert, key = bus_client_files(tls_files.ca_file.parent, "operator")
            tls_files = replace(tls_files, client_cert=cert, client_key=key)
        save_client_config(options.data_dir / "nats", tls_files, mapped)
    else:
        forget_client_config(options.data_dir / "nats")
    accounts_db = await open_accounts(options.data_dir / "accounts.sqlite3")
    orgs = [org.id for org in await list_orgs(accounts_db)]
    passwords = load_or_create_passwords(options.data_dir / "nats", orgs)
    server: EmbeddedNatsServer | None = None
    urls = list(options.nats_urls)
    if not urls:
        max_store_mb = options.settings.bus.max_store_mb
        server = EmbeddedNatsServer(
            options.data_dir,
            options.nats_port,
            orgs,
            tls=tls_files,
            require_client_certs=mapped,
            max_store_bytes=int(max_store_mb * 1024 * 1024) if max_store_mb else None,
        )
        urls = [await server.start()]
    broker = make_broker(
        urls,
        None if mapped else passwords["operator"],
        retry_policy(options.settings.reliability),
        graceful_timeout=options.graceful_timeout,
        ssl_context=client_context(tls_files) if tls_files else None,
    )
    for router in routers:
        broker.include_router(router)
    runtime = Runtime(options.settings, options.data_dir, broker, urls, accounts=accounts_db)
    runtime.store_limit = server.max_store_bytes if server is not None else None
    scheme = "https" if tls_files is not None else "http"
    agent = options.settings.payment_agent
    runtime.agent_url = agent.url or f"{scheme}://127.0.0.1:{options.agent_port or 8001}"
    runtime.agent_ca_file = agent.ca_file or (
        tls_files.ca_file if tls_files is not None and agent.url is None else None
    )
    broker.context.set_global("runtime", runtime)
    background: list[asyncio.Task[None]] = []
    sites: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []
    closers: list[Callable[[], Awaitable[None]]] = []
    try:
        await broker.connect()
        runtime.provisioned = await provision_all(runtime.js, options.settings.retention)
        await broker.start()
        background = [asyncio.create_task(_supervised(task, runtime)) for task in tasks]
        (options.data_dir / "nats" / "url").write_text(",".join(urls))
        if options.http_port is not None:
            app = build_web_app(routes, {"runtime": runtime}, options.settings.web)
            web = web_server(
                app,
                options.http_host,
                options.http_port,
                tls_files,
                tls.client_certs,
                options.settings.web,
            )
            sites.append(await _started(web))
        if options.agent_port is not None and options.http_port is not None:
            sandbox = _sandbox(runtime, options, scheme, tls_files)
            closers.append(sandbox.aclose)
            background.append(asyncio.create_task(sandbox.deliver_forever()))
            sandbox_site = web_server(
                sandbox.app, options.http_host, options.agent_port, tls_files, "off"
            )
            sites.append(await _started(sandbox_site))
        if on_ready is not None:
            await on_ready(runtime)
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        for running in background:
            running.cancel()
        for site, site_task in sites:
            site.should_exit = True
            await site_task
        for close in closers:
            await close()
        try:
            # Bounded: with the bus gone, draining the subscriptions would wait forever.
            await asyncio.wait_for(broker.stop(), timeout=options.graceful_timeout + 5)
        except (TimeoutError, nats.errors.Error) as exc:
            log.warning(
                "bus unreachable while stopping (%s); unfinished work will be redelivered",
                type(exc).__name__,
            )
            with contextlib.suppress(Exception):
                await broker.connection.close()
        await runtime.aclose()
        if server is not None:
            await server.stop()


async def _started(web: uvicorn.Server) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    """uvicorn offers no start event: poll its flag, and surface why it failed if it did."""
    task = asyncio.create_task(web.serve())
    while not web.started:
        if task.done():
            task.result()  # raises the reason (port in use, ...)
            raise RuntimeError("the web server stopped before it started")
        await asyncio.sleep(0.02)
    return web, task


def _sandbox(
    runtime: Runtime, options: ServeOptions, scheme: str, tls_files: TlsFiles | None
) -> SandboxAgent:
    """The stand-in payment agent, sending its notifications to our own web app."""
    secrets = runtime.agent_secrets
    return SandboxAgent(
        secret=secrets.webhook_secret,
        api_key=secrets.api_key,
        webhook_url=f"{scheme}://127.0.0.1:{options.http_port}/api/payment-agent/webhook",
        public_url=f"{scheme}://127.0.0.1:{options.agent_port}",
        state_file=options.data_dir / "payment_agent" / "sandbox.json",
        webhook_ssl_context=client_context(tls_files) if tls_files is not None else None,
    )


async def _supervised(task: BackgroundTask, runtime: Runtime) -> None:
    """Keep a background task running: restart it (after a pause) when it fails."""
    while True:
        try:
            await task(runtime)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("background task failed (%s); restarting", type(exc).__name__)
        await asyncio.sleep(5)
