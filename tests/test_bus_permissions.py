"""Raw nats-py clients against the generated users: every refusal is the server's own."""

from __future__ import annotations

import asyncio

import nats
import pytest
from nats.aio.client import Client
from nats.js.api import DeliverPolicy

from events.envelope import new_event_id
from tests.conftest import NatsFixture


class Refusals:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.seen = asyncio.Event()

    async def record(self, error: Exception) -> None:
        self.errors.append(str(error))
        self.seen.set()

    async def wait(self, timeout: float = 5.0) -> str:
        await asyncio.wait_for(self.seen.wait(), timeout)
        self.seen.clear()
        return self.errors[-1]


async def connect(server: NatsFixture, role: str, refusals: Refusals) -> Client:
    return await server.connect(role, error_cb=refusals.record, allow_reconnect=False)


@pytest.mark.parametrize(
    "credentials",
    [{}, {"user": "operator", "password": "wrong"}, {"user": "nobody", "password": "x"}],
)
async def test_anonymous_and_wrong_passwords_are_refused(
    nats_server: NatsFixture, credentials: dict[str, str]
) -> None:
    async def quiet(error: Exception) -> None:
        return None

    with pytest.raises(Exception, match=r"(?i)authorization|no servers"):
        await nats.connect(
            nats_server.url,
            allow_reconnect=False,
            max_reconnect_attempts=0,
            error_cb=quiet,
            **credentials,
        )


async def test_scanner_submits_scans_only(nats_server: NatsFixture, nc: Client) -> None:
    refusals = Refusals()
    scanner = await connect(nats_server, "scanner", refusals)
    js = scanner.jetstream(timeout=2)
    ack = await js.publish("document.scanned.org-a", b"{}", headers={"Nats-Msg-Id": new_event_id()})
    assert ack.stream == "DOCUMENTS"

    await scanner.publish("ocr.completed.org-a", b"{}")
    assert "permissions violation" in (await refusals.wait()).lower()
    with pytest.raises(Exception):
        await js.stream_info("DOCUMENTS")
    assert "permissions violation" in (await refusals.wait()).lower()
    await scanner.subscribe("document.>")
    assert "permissions violation" in (await refusals.wait()).lower()
    await scanner.close()


async def test_dashboard_listens_but_cannot_publish(nats_server: NatsFixture, nc: Client) -> None:
    refusals = Refusals()
    dashboard = await connect(nats_server, "dashboard", refusals)
    sub = await dashboard.subscribe("ocr.completed.*")
    await dashboard.flush()
    await nc.publish("ocr.completed.org-a", b'{"hello": 1}')
    assert (await sub.next_msg(timeout=5)).data == b'{"hello": 1}'
    await dashboard.publish("document.scanned.org-a", b"{}")
    assert "permissions violation" in (await refusals.wait()).lower()
    with pytest.raises(Exception):
        await dashboard.jetstream(timeout=1).stream_info("OCR")
    await dashboard.close()


async def test_auditor_replays_event_streams_read_only(
    nats_server: NatsFixture, nc: Client
) -> None:
    marker = new_event_id()
    await nc.jetstream().publish(
        "payment.settled.org-z", marker.encode(), headers={"Nats-Msg-Id": marker}
    )
    refusals = Refusals()
    auditor = await connect(nats_server, "auditor", refusals)
    js = auditor.jetstream(timeout=2)
    sub = await js.subscribe(
        "payment.settled.org-z", ordered_consumer=True, deliver_policy=DeliverPolicy.ALL
    )
    bodies = []
    while marker.encode() not in bodies:
        bodies.append((await sub.next_msg(timeout=5)).data)
    await sub.unsubscribe()

    await auditor.publish("payment.refunded.org-z", b"{}")
    assert "permissions violation" in (await refusals.wait()).lower()
    for forbidden in (
        js.delete_stream("PAYMENTS"),
        js.purge_stream("PAYMENTS"),
        js.subscribe("$KV.pi_ocr_results.>", ordered_consumer=True),
        js.stream_info("KV_pi_ocr_results"),
    ):
        with pytest.raises(Exception):
            await asyncio.wait_for(forbidden, timeout=5)
    assert (await nc.jetstream().stream_info("PAYMENTS")).state.messages >= 1
    await auditor.close()
