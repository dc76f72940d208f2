"""A JetStream cluster: `madoguchi dev-cluster`, replicated provisioning, a node killed under load
losing no acknowledged event, and (`make chaos`) workers reading through a rolling node failure."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import nats
import nats.errors
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from events.catalog import BUCKETS, STREAMS
from events.envelope import new_event_id
from events.permissions import inbox_prefix, nats_user
from infra.nats_cluster import NatsCluster
from infra.nats_server import NatsServerError, load_or_create_passwords
from infra.pi_store import open_pi_store
from infra.provisioning import cluster_size, provision_all, replicas_for
from schemas.events import DocumentScanned
from schemas.settings import Settings
from tests.conftest import NatsFixture, free_ports
from tests.processes import REPO, Worker, ocr_consumer_with_ack_wait, outcomes, submit_pages
from tests.support import eventually, madoguchi, read_all, subject_counts

ORG = "cluster-chaos"


@pytest.mark.parametrize(("servers", "replicas"), [(1, 1), (2, 1), (3, 3), (5, 3)])
def test_replicas_follow_the_cluster_size(servers: int, replicas: int) -> None:
    assert replicas_for(servers) == replicas


async def test_a_single_server_counts_as_one(
    nats_server: NatsFixture, js: JetStreamContext
) -> None:
    assert cluster_size(js) == 1
    assert (await js.stream_info("DOCUMENTS")).config.num_replicas == 1


async def start_dev_cluster(
    tmp_path: Path,
) -> tuple[asyncio.subprocess.Process, Path, int, list[str]]:
    """`madoguchi dev-cluster` on three nodes, up to its Ctrl-C line: the process, its data
    directory, its first client port and its banner. Another program may take a port between
    the check and the start (seen with two suites on one machine): then new ports, at most
    three tries."""
    for attempt in range(3):
        data = tmp_path / f"data{attempt}"
        port = free_ports(6)  # one range for both: two separate picks may overlap
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "handlers",
            "--data",
            str(data),
            "dev-cluster",
            "--nodes",
            "3",
            "--port",
            str(port),
            "--cluster-port",
            str(port + 3),
            stdout=asyncio.subprocess.PIPE,
            cwd=REPO,
        )
        assert process.stdout is not None
        lines: list[str] = []
        while not lines or not lines[-1].startswith("Ctrl-C"):
            raw = await asyncio.wait_for(process.stdout.readline(), 60)
            if not raw:
                break
            lines.append(raw.decode().strip())
        else:
            return process, data, port, lines
        await process.wait()
        if attempt == 2:
            raise AssertionError(f"dev-cluster exited: {lines}")
    raise AssertionError("unreachable")


async def test_dev_cluster_replicates_everything_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    process, data, port, lines = await start_dev_cluster(tmp_path)
    try:
        urls = next(line for line in lines if line.startswith("nats://")).split(",")
        assert urls == [f"nats://127.0.0.1:{port + n}" for n in range(3)]

        code, out, err = await madoguchi(data, "creds", "operator", timeout=60)
        assert code == 0, err
        creds = json.loads(out)
        assert creds["url"] == ",".join(urls)
        client = await nats.connect(urls, user="operator", password=creds["password"])
        js = client.jetstream()
        assert cluster_size(js) == 3
        await provision_all(js, Settings().retention)
        for name in [s.name for s in STREAMS] + [b.stream_name for b in BUCKETS]:
            info = await js.stream_info(name)
            assert info.config.num_replicas == 3, name
        await client.close()

        # A new organisation's bus users are live on every node at once.
        code, out, err = await madoguchi(data, "org", "add", "cl-org", "--name", "課", timeout=60)
        assert code == 0 and "live" in out, err
        scanner = nats_user("scanner", "cl-org")
        password = load_or_create_passwords(data / "nats")[scanner]
        for url in urls:
            client = await nats.connect(
                url,
                user=scanner,
                password=password,
                inbox_prefix=inbox_prefix(scanner),
                allow_reconnect=False,
            )
            await client.close()
    finally:
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), 60) == 0
    for n in range(3):
        with pytest.raises(OSError):
            await asyncio.open_connection("127.0.0.1", port + n)


async def test_dev_cluster_refuses_bad_ports_with_a_reason(tmp_path: Path) -> None:
    code, _, err = await madoguchi(
        tmp_path, "dev-cluster", "--port", "6222", "--cluster-port", "6223", timeout=60
    )
    assert code != 0 and "overlap" in err and len(err.strip().splitlines()) == 1


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[NatsCluster]:
    # Client and cluster ports from one range: they never overlap. Another program may still take
    # one between the check and the start (seen with two suites on one machine): then new ports,
    # at most three tries, each start cleaning up after itself.
    for attempt in range(3):
        first = free_ports(6)
        cluster = NatsCluster(tmp_path / f"data{attempt}", 3, first, first + 3)
        try:
            await cluster.start()
            break
        except NatsServerError:
            if attempt == 2:
                raise
    yield cluster
    await cluster.stop()


async def publish_until_acked(js: JetStreamContext, event: DocumentScanned) -> None:
    """What a careful producer does: publish, and on no answer publish the same id again (the
    stream keeps one copy) until the stream acknowledges it; a cluster that never answers
    again fails the test after a minute instead of hanging it."""

    async def acked() -> bool:
        try:
            await js.publish(
                f"document.scanned.{event.org}",
                event.model_dump_json().encode(),
                headers={"Nats-Msg-Id": event.event_id},
                timeout=2.0,
            )
        except nats.errors.Error:
            return False
        return True

    await eventually(acked, timeout=60, every=0.1)


def scanned() -> DocumentScanned:
    return DocumentScanned(
        event_id=new_event_id(),
        org=ORG,
        document_id=new_event_id(),
        personal_info=False,
        content_type="image/png",
        size_bytes=1,
        source="scanner",
    )


async def read_when_answered(js: JetStreamContext) -> list[bytes] | None:
    try:
        return await read_all(js, f"document.scanned.{ORG}")
    except nats.errors.Error:
        return None


async def replicas_current(js: JetStreamContext, stream: str) -> bool:
    try:
        cluster = (await js.stream_info(stream)).cluster
    except nats.errors.Error:  # no answer while the cluster fails over
        return False
    if cluster is None or cluster.leader is None:
        return False
    peers = cluster.replicas or []
    return len(peers) == 2 and all(peer.current and not peer.offline for peer in peers)


async def test_killing_one_of_three_nodes_under_load_loses_no_acknowledged_event(
    cluster: NatsCluster,
) -> None:
    client: Client = await nats.connect(
        cluster.urls, user="operator", password=cluster.passwords["operator"]
    )
    js = client.jetstream()
    await provision_all(js, Settings().retention)
    events = [scanned() for _ in range(300)]
    acked: list[str] = []
    killed = None
    try:
        for n, event in enumerate(events):
            if n == len(events) // 3:  # mid-way: the node that leads the stream goes down
                info = (await js.stream_info("DOCUMENTS")).cluster
                assert info is not None
                killed = next(s for s in cluster.servers if s.paths.node == info.leader)
                await killed.kill()
            await publish_until_acked(js, event)
            acked.append(event.event_id)

        # Two nodes of three keep serving: every acknowledged event is there, once. (Reading
        # makes a consumer, which waits for the cluster's new metadata leader if that was lost.)
        bodies = await eventually(lambda: read_when_answered(js), timeout=30, every=0.5)
        stored = [DocumentScanned.model_validate_json(body).event_id for body in bodies]
        assert stored == acked
        assert not await replicas_current(js, "DOCUMENTS")

        assert killed is not None
        await killed.start()
        assert await eventually(lambda: replicas_current(js, "DOCUMENTS"), timeout=30)
        assert (await js.stream_info("DOCUMENTS")).state.messages == len(acked)
    finally:
        await client.close()


async def completed_at_least(js: JetStreamContext, count: int) -> bool:
    try:
        counts = await subject_counts(js, "OCR", f"ocr.completed.{ORG}")
    except nats.errors.Error:  # no answer while the cluster fails over
        return False
    return counts.get(f"ocr.completed.{ORG}", 0) >= count


async def submit_until_accepted(js: JetStreamContext, data_dir: Path, seed: int) -> str:
    """A scanner that tries again (with the same document id) while the cluster fails over,
    for at most a minute."""
    document_id = new_event_id()

    async def accepted() -> str | None:
        try:
            await submit_pages(js, data_dir, ORG, 1, seed=seed, document_ids=[document_id])
        except nats.errors.Error:
            return None
        return document_id

    return await eventually(accepted, timeout=60, every=0.2)


@pytest.mark.chaos
async def test_workers_on_a_cluster_finish_every_scan_once_while_each_node_is_killed_in_turn(
    cluster: NatsCluster,
) -> None:
    """The long one (`make chaos`): real workers reading scans through the cluster while each
    node in turn is killed and started again."""
    client = await nats.connect(
        cluster.urls, user="operator", password=cluster.passwords["operator"]
    )
    js = client.jetstream()
    await provision_all(js, Settings().retention)
    await ocr_consumer_with_ack_wait(js, 5.0)
    open_pi_store(js, cluster.data_dir)  # the key ring, before a worker makes one
    workers = [Worker(cluster.data_dir, cluster.urls, f"worker-{n}") for n in range(2)]
    ids: list[str] = []
    try:
        await asyncio.gather(*(worker.start() for worker in workers))
        for node in cluster.servers:
            ids += [await submit_until_accepted(js, cluster.data_dir, n) for n in range(3)]
            await node.kill()
            ids += [await submit_until_accepted(js, cluster.data_dir, n) for n in range(3)]
            await eventually(partial(completed_at_least, js, len(ids)), timeout=120, every=0.5)
            await node.start()
            await eventually(lambda: replicas_current(js, "DOCUMENTS"), timeout=60)

        found = await outcomes(js, ORG)
        assert found["ocr.completed"] == dict.fromkeys(ids, 1)
        assert not found["ocr.failed"] and not found["document.rejected"]
        assert all(worker.has_read() for worker in workers)
        assert (await js.stream_info("DEADLETTER")).state.messages == 0
    finally:
        for worker in workers:
            await worker.stop()
        await client.close()
