"""A real nats-server for the whole session, on a free port, with a temporary store."""

from __future__ import annotations

import random
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import nats
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from events.permissions import inbox_prefix
from infra.crypto import KeyRing
from infra.nats_server import EmbeddedNatsServer, load_or_create_passwords
from infra.provisioning import provision_all
from schemas.settings import Settings

# Loopback addresses stand for the city's networks: a test picks its zone by source address.
ZONE_ADDRESSES: dict[str | None, str] = {
    "SA": "127.0.0.2",
    "SJ": "127.0.0.3",
    "MN": "127.0.0.4",
    None: "127.0.0.1",
}
TEST_SETTINGS = Settings.model_validate(
    {
        "zones": {zone: [f"{address}/32"] for zone, address in ZONE_ADDRESSES.items() if zone},
        "payment_agent": {"reconcile_after": "1s"},
    }
)
# A sign-in runs scrypt: on a loaded 2-core machine it can take longer than httpx's default
# 5 s, which would fail the test for the machine's sake, not the product's.
CLIENT_TIMEOUT = httpx.Timeout(60.0)


# Its own generator: pytest-randomly reseeds the shared one before every test.
PORT_PICKS = random.Random()


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports on loopback, below the kernel's ephemeral
    range: a port picked inside it (as bind to port 0 does) can be taken as the source port of
    any outgoing connection before the server meant to listen on it has started (CI saw a
    worker refuse its metrics port, and a cluster node exit at start)."""
    low, high = (int(n) for n in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    start, stop = (10_000, low - count) if low > 10_000 + count else (high + 1, 65_536 - count)
    while True:
        first = PORT_PICKS.randrange(start, stop)
        held: list[socket.socket] = []
        try:
            for port in range(first, first + count):
                held.append(socket.socket())
                held[-1].bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for sock in held:
                sock.close()
        return first


def free_port() -> int:
    return free_ports(1)


class NatsFixture:
    def __init__(self, server: EmbeddedNatsServer, data_dir: Path) -> None:
        self.server = server
        self.data_dir = data_dir
        self.url = server.url

    @property
    def passwords(self) -> dict[str, str]:
        """Every NATS user's password, as `org add` may have added users since the start."""
        return load_or_create_passwords(self.data_dir / "nats")

    async def connect(self, user: str = "operator", **options: object) -> Client:
        return await nats.connect(
            self.url,
            user=user,
            password=self.passwords[user],
            inbox_prefix=inbox_prefix(user),
            **options,  # type: ignore[arg-type]
        )


async def provisioned_server(data_dir: Path) -> AsyncIterator[NatsFixture]:
    server = EmbeddedNatsServer(data_dir, free_port())
    await server.start()
    nc = await nats.connect(server.url, user="operator", password=server.passwords["operator"])
    await provision_all(nc.jetstream(), Settings().retention)
    await nc.close()
    yield NatsFixture(server, data_dir)
    await server.stop()


@pytest.fixture(scope="session")
async def nats_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[NatsFixture]:
    async for fixture in provisioned_server(tmp_path_factory.mktemp("data")):
        yield fixture


@pytest.fixture(scope="module")
async def own_bus(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[NatsFixture]:
    """A provisioned bus of one module's own. A module that overrides `nats_server` with it
    counts dead letters exactly: on the shared bus the app's consumers, once another module
    started them, handle (and may dead-letter) the same events too."""
    async for fixture in provisioned_server(tmp_path_factory.mktemp("own-bus")):
        yield fixture


@pytest.fixture
async def nc(nats_server: NatsFixture) -> AsyncIterator[Client]:
    client = await nats_server.connect()
    yield client
    await client.close()


@pytest.fixture
def js(nc: Client) -> JetStreamContext:
    return nc.jetstream()


@pytest.fixture
async def fresh_server(tmp_path: Path) -> AsyncIterator[NatsFixture]:
    """A server of the test's own, unprovisioned, for tests that change retention."""
    server = EmbeddedNatsServer(tmp_path, free_port())
    await server.start()
    yield NatsFixture(server, tmp_path)
    await server.stop()


class AppFixture:
    def __init__(self, server: NatsFixture, http_port: int, agent_port: int) -> None:
        self.server = server
        self.data_dir = server.data_dir
        self.http_url = f"http://127.0.0.1:{http_port}"
        self.agent_url = f"http://127.0.0.1:{agent_port}"

    def client(self, zone: str | None) -> httpx.AsyncClient:
        """An HTTP client whose requests come from the given zone's terminal address."""
        transport = httpx.AsyncHTTPTransport(local_address=ZONE_ADDRESSES[zone])
        return httpx.AsyncClient(
            base_url=self.http_url, transport=transport, timeout=CLIENT_TIMEOUT
        )


@pytest.fixture(scope="session")
async def app(nats_server: NatsFixture) -> AsyncIterator[AppFixture]:
    """The whole madoguchi process (every room, the web app) on the session's server."""
    import asyncio

    from handlers.app import ROOMS
    from handlers.compose import ServeOptions, serve
    from handlers.room import Services

    http_port, agent_port = free_port(), free_port()
    options = ServeOptions(
        data_dir=nats_server.data_dir,
        settings=TEST_SETTINGS,
        nats_urls=[nats_server.url],
        http_port=http_port,
        agent_port=agent_port,
        graceful_timeout=5.0,
    )
    ready, stop = asyncio.Event(), asyncio.Event()

    async def on_ready(services: Services) -> None:
        ready.set()

    task = asyncio.create_task(serve(options, ROOMS, on_ready, stop))
    await asyncio.wait_for(ready.wait(), timeout=60)
    yield AppFixture(nats_server, http_port, agent_port)
    stop.set()
    await asyncio.wait_for(task, timeout=60)


@pytest.fixture
def keyring(tmp_path: Path) -> KeyRing:
    """A key-encryption key of the test's own (the service's lives under --data/keys)."""
    return KeyRing.load(tmp_path / "keys", env={})


@pytest.fixture(scope="session")
async def people(app: AppFixture, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The orgs, staff and procedure the application tests share (made once)."""
    from tests.applications.flow import set_up

    await set_up(app, tmp_path_factory.mktemp("applications"))


@pytest.fixture
async def resident(app: AppFixture, people: None) -> httpx.AsyncClient:
    return app.client(None)  # from the internet: no zone
