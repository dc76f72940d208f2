"""A JetStream cluster on loopback: `madoguchi dev-cluster --nodes 3`.

Each node is an `EmbeddedNatsServer` with `infra/nats-cluster.conf` as its settings,
the same generated users as the single server (so `up --nats-url`, `worker` and `creds` work
unchanged with the same `--data`), and a directory of its own under `nats/cluster/<node>`. What
differs between nodes (name, route port, the routes) reaches the config through its environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import signal
from collections.abc import Callable, Iterable
from pathlib import Path

import nats
from nats.aio.client import Client

from infra.accounts import list_orgs, open_accounts
from infra.nats_server import EmbeddedNatsServer, ServerPaths, write_private
from infra.provisioning import cluster_size

CLUSTER_CONF = Path(__file__).resolve().parent / "nats-cluster.conf"
ROUTE_USER = "route"
LOOPBACK = "127.0.0.1"


class ClusterError(RuntimeError):
    pass


def route_password(data_dir: Path) -> str:
    """The password nodes use with each other: made once, kept 0600 beside the credentials."""
    path = ServerPaths(data_dir).nats_dir / "cluster" / "route-password"
    if path.exists():
        return path.read_text().strip()
    password = secrets.token_urlsafe(24)
    write_private(path, password)
    return password


def node_name(index: int) -> str:
    return f"node-{index + 1}"


class NatsCluster:
    """`nodes` nats-servers on loopback: client ports `port`, `port`+1, ...; route ports
    `cluster_port`, `cluster_port`+1, ... A node keeps its store between starts, so a node
    started again catches up with the others."""

    def __init__(
        self,
        data_dir: Path,
        nodes: int = 3,
        port: int = 4222,
        cluster_port: int = 6222,
        orgs: Iterable[str] = (),
        base_conf: Path = CLUSTER_CONF,
    ) -> None:
        if nodes < 1:
            raise ValueError(f"a cluster needs at least one node, not {nodes}")
        for name, first in (("port", port), ("cluster_port", cluster_port)):
            if not 1 <= first <= 65535 - nodes + 1:
                raise ValueError(f"{name} {first}: {nodes} ports from it must fit below 65536")
        if abs(port - cluster_port) < nodes:
            raise ValueError(f"client ports from {port} overlap route ports from {cluster_port}")
        self.data_dir = data_dir
        password = route_password(data_dir)
        routes = ", ".join(
            f"nats-route://{ROUTE_USER}:{password}@{LOOPBACK}:{cluster_port + n}"
            for n in range(nodes)
        )
        orgs = list(orgs)
        self.servers = [
            EmbeddedNatsServer(
                data_dir,
                port + n,
                orgs,
                base_conf,
                node=node_name(n),
                env={
                    "MADOGUCHI_NODE": node_name(n),
                    "MADOGUCHI_HOST": LOOPBACK,
                    "MADOGUCHI_CLUSTER_PORT": str(cluster_port + n),
                    "MADOGUCHI_ROUTES": f"[{routes}]",
                    "MADOGUCHI_ROUTE_PASSWORD": password,
                },
            )
            for n in range(nodes)
        ]

    @property
    def urls(self) -> list[str]:
        return [server.url for server in self.servers]

    @property
    def passwords(self) -> dict[str, str]:
        return self.servers[0].passwords

    async def start(self, timeout: float = 60.0) -> list[str]:
        """Start every node; return their URLs once JetStream answers with all nodes joined."""
        try:
            await asyncio.gather(*(server.start(timeout) for server in self.servers))
            await self.wait_until_formed(timeout)
        except BaseException:
            await self.stop()
            raise
        (ServerPaths(self.data_dir).nats_dir / "url").write_text(",".join(self.urls))
        return self.urls

    async def wait_until_formed(self, timeout: float = 60.0) -> None:
        """Until every node has routes to all the others and answers JetStream requests (the
        nodes have elected a meta leader). Before that, provisioning would fail, or count too
        few nodes and create unreplicated streams."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        waiting = list(self.servers)
        while waiting:
            for server in self.servers:
                reason = server.exit_reason()
                if reason is not None:
                    raise ClusterError(f"{server.paths.node}: {reason}")
            if not await self._formed(waiting[0]):
                if loop.time() > deadline:
                    raise ClusterError(
                        f"cluster not formed after {timeout:.0f}s: {waiting[0].url} sees"
                        f" {await self._seen(waiting[0])} of {len(self.servers)} nodes"
                    )
                await asyncio.sleep(0.1)
                continue
            waiting.pop(0)

    async def _formed(self, server: EmbeddedNatsServer) -> bool:
        client = await self._connect(server)
        if client is None:
            return False
        try:
            js = client.jetstream(timeout=2.0)
            if cluster_size(js) < len(self.servers):
                return False
            await js.account_info()
            return True
        except Exception:
            return False
        finally:
            await client.close()

    async def _seen(self, server: EmbeddedNatsServer) -> int:
        client = await self._connect(server)
        if client is None:
            return 0
        try:
            return cluster_size(client.jetstream())
        finally:
            await client.close()

    async def _connect(self, server: EmbeddedNatsServer) -> Client | None:
        with contextlib.suppress(Exception):
            return await nats.connect(
                server.url,
                user="operator",
                password=self.passwords["operator"],
                allow_reconnect=False,
                connect_timeout=2,
            )
        return None

    async def stop(self) -> None:
        await asyncio.gather(*(server.stop() for server in self.servers))


async def run_dev_cluster(
    data_dir: Path,
    nodes: int,
    port: int,
    cluster_port: int,
    on_ready: Callable[[list[str]], None],
    stop: asyncio.Event | None = None,
) -> None:
    """`madoguchi dev-cluster`: the cluster, with a user for every organisation, until SIGINT or
    SIGTERM; then every node stops cleanly (each flushes and leaves the cluster)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        accounts = await open_accounts(data_dir / "accounts.sqlite3")
        try:
            orgs = [org.id for org in await list_orgs(accounts)]
        finally:
            await accounts.close()
        cluster = NatsCluster(data_dir, nodes, port, cluster_port, orgs)
        await cluster.start()
        try:
            on_ready(cluster.urls)
            await stop.wait()
        finally:
            await cluster.stop()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
