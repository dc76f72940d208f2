"""Raw nats-py clients against the generated users: every refusal is the server's own."""

from __future__ import annotations

import asyncio
import json

import nats
import nats.errors
import pytest
from nats.aio.client import Client
from nats.js.api import DeliverPolicy

from events.envelope import new_event_id
from tests.conftest import NatsFixture
from tests.support import madoguchi as run_madoguchi

ORG_A, ORG_B = "bus-a", "bus-b"


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
        return self.errors[-1].lower()


async def madoguchi(server: NatsFixture, *args: str) -> tuple[int, str, str]:
    return await run_madoguchi(server.data_dir, *args)


@pytest.fixture(scope="module")
async def orgs(nats_server: NatsFixture) -> tuple[str, str]:
    for org in (ORG_A, ORG_B):
        code, out, err = await madoguchi(nats_server, "org", "add", org, "--name", org)
        assert code == 0 and "live" in out, err
    return ORG_A, ORG_B


async def connect(server: NatsFixture, user: str, refusals: Refusals) -> Client:
    return await server.connect(user, error_cb=refusals.record, allow_reconnect=False)


@pytest.mark.parametrize(
    "credentials",
    [{}, {"user": "operator", "password": "wrong"}, {"user": "nobody", "password": "x"}],
)
async def test_anonymous_and_wrong_passwords_are_refused(
    nats_server: NatsFixture, credentials: dict[str, str]
) -> None:
    refusals = Refusals()
    with pytest.raises(nats.errors.Error, match="'Authorization Violation'"):  # the server's
        await nats.connect(
            nats_server.url,
            allow_reconnect=False,
            max_reconnect_attempts=0,
            error_cb=refusals.record,
            **credentials,
        )


async def test_new_org_credentials_work_without_a_restart(
    nats_server: NatsFixture, orgs: tuple[str, str]
) -> None:
    code, out, err = await madoguchi(nats_server, "creds", "dashboard", "--org", ORG_A)
    assert code == 0, err
    creds = json.loads(out)
    assert creds["user"] == f"dashboard-{ORG_A}" and creds["inbox_prefix"]
    client = await nats.connect(
        creds["url"],
        user=creds["user"],
        password=creds["password"],
        inbox_prefix=creds["inbox_prefix"],
    )
    assert client.is_connected
    await client.close()
    code, _, err = await madoguchi(nats_server, "creds", "dashboard", "--org", "nowhere")
    assert code != 0 and "nowhere" in err


async def test_scanner_may_only_ask_the_intake_of_its_own_org(
    nats_server: NatsFixture, orgs
) -> None:  # type: ignore[no-untyped-def]
    refusals = Refusals()
    scanner = await connect(nats_server, f"scanner-{ORG_A}", refusals)
    await scanner.publish(f"scan.submit.{ORG_A}", b"")  # allowed (nobody need answer here)
    await scanner.publish(f"scan.submit.{ORG_A}.instance.upload", b"")
    await scanner.flush()
    assert refusals.errors == []
    for subject in (
        f"scan.submit.{ORG_B}",
        f"scan.submit.{ORG_B}.instance.upload",
        f"document.scanned.{ORG_A}",  # the service announces scans, not the scanner
        f"ocr.completed.{ORG_A}",
        "$JS.API.STREAM.INFO.DOCUMENTS",
    ):
        await scanner.publish(subject, b"{}")
        assert f'permissions violation for publish to "{subject.lower()}"' in await refusals.wait()
    for subject in ("document.>", "ocr.completed.*", "_INBOX.>", f"_INBOX_scanner-{ORG_B}.>"):
        await scanner.subscribe(subject)
        assert f'permissions violation for subscription to "{subject.lower()}"' in (
            await refusals.wait()
        )
    await scanner.close()


async def test_dashboard_hears_its_own_org_only(nats_server: NatsFixture, nc: Client, orgs) -> None:  # type: ignore[no-untyped-def]
    refusals = Refusals()
    dashboard = await connect(nats_server, f"dashboard-{ORG_A}", refusals)
    sub = await dashboard.subscribe(f"ocr.completed.{ORG_A}")
    await dashboard.flush()
    await nc.publish(f"ocr.completed.{ORG_B}", b'{"other": 1}')
    await nc.publish(f"ocr.completed.{ORG_A}", b'{"hello": 1}')
    await nc.flush()
    assert (await sub.next_msg(timeout=15)).data == b'{"hello": 1}'
    for subject in (f"ocr.completed.{ORG_B}", "ocr.completed.*", "_INBOX.>", "$KV.>"):
        await dashboard.subscribe(subject)
        assert "permissions violation" in await refusals.wait()
    await dashboard.publish(f"document.scanned.{ORG_A}", b"{}")
    assert "permissions violation" in await refusals.wait()
    with pytest.raises(nats.errors.TimeoutError):  # the request never reaches the server
        await dashboard.jetstream(timeout=1).stream_info("OCR")
    assert 'violation for publish to "$js.api.stream.info.ocr"' in await refusals.wait()
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
    # Message by message (no consumer: see tests/security/test_auditor_read_only.py).
    last = (await js.stream_info("PAYMENTS")).state.last_seq
    found = await js.get_msg("PAYMENTS", seq=1, subject="payment.settled.org-z", next=True)
    bodies = [found.data]
    while marker.encode() not in bodies and int(found.seq or last) < last:
        found = await js.get_msg(
            "PAYMENTS", seq=int(found.seq or 0) + 1, subject="payment.settled.org-z", next=True
        )
        bodies.append(found.data)
    assert marker.encode() in bodies
    with pytest.raises(nats.errors.TimeoutError):
        await js.subscribe(
            "payment.settled.org-z", ordered_consumer=True, deliver_policy=DeliverPolicy.ALL
        )
    assert "permissions violation" in await refusals.wait()

    await auditor.publish("payment.refunded.org-z", b"{}")
    assert "permissions violation" in await refusals.wait()
    await auditor.subscribe("_INBOX.>")  # the service's replies carry personal data
    assert "permissions violation" in await refusals.wait()
    for forbidden, api in (
        (js.delete_stream("PAYMENTS"), "$js.api.stream.delete.payments"),
        (js.purge_stream("PAYMENTS"), "$js.api.stream.purge.payments"),
        (
            js.subscribe("$KV.pi_ocr_results.>", ordered_consumer=True),
            "$js.api.consumer.create.kv_pi_ocr_results",
        ),
        (js.stream_info("KV_pi_ocr_results"), "$js.api.stream.info.kv_pi_ocr_results"),
    ):
        with pytest.raises(nats.errors.TimeoutError):  # refused: no answer ever comes
            await forbidden
        assert f'violation for publish to "{api}' in await refusals.wait()
    assert (await nc.jetstream().stream_info("PAYMENTS")).state.messages >= 1
    await auditor.close()
