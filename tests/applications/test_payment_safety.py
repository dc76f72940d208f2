"""Payments that must not go wrong: forged, stale and replayed notices change nothing; a
payment that succeeds after a failure notice is still recorded; card numbers go nowhere."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from nats.js import JetStreamContext
from standardwebhooks import Webhook

from tests.applications.flow import (
    CARD_DECLINED,
    CARD_LATE,
    CARD_OK,
    ORG,
    accepted,
    pay_by_card,
)
from tests.conftest import AppFixture
from tests.support import eventually, read_all, read_stream

WEBHOOK = "/api/payment-agent/webhook"


class Remember(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="module")
def logs() -> Iterator[Remember]:
    """Every log line the process writes while this module runs (the app runs in-process)."""
    handler = Remember()
    handler.setFormatter(logging.Formatter("%(name)s %(message)s %(args)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


def secret(app: AppFixture) -> str:
    return (app.data_dir / "payment_agent" / "webhook_secret").read_text().strip()


def signed(
    app: AppFixture, body: dict[str, object], msg_id: str, at: datetime
) -> tuple[bytes, dict[str, str]]:
    data = json.dumps(body)
    signature = Webhook(secret(app)).sign(msg_id, at, data)
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }
    return data.encode(), headers


async def payment_status(resident: httpx.AsyncClient, application_id: str, code: str) -> str:
    view = await resident.get(f"/api/applications/{application_id}", params={"access_code": code})
    return str(view.json()["payment"]["status"])


async def test_forged_stale_and_replayed_notices_change_nothing(
    app: AppFixture, resident: httpx.AsyncClient, js: JetStreamContext
) -> None:
    application_id, code = await accepted(app, resident)
    started = await resident.post(
        f"/api/applications/{application_id}/payment", json={"access_code": code, "method": "card"}
    )
    payment_id = started.json()["payment_id"]
    agent_view = await httpx.AsyncClient().get(
        f"{app.agent_url}/v1/payments", headers={"Authorization": "Bearer wrong"}
    )
    assert agent_view.status_code in (401, 405)
    news = {
        "type": "payment.succeeded",
        "data": {
            "id": "pay_forged",
            "reference": payment_id,
            "status": "succeeded",
            "amount": 450,
            "refunded": 0,
            "method": "card",
            "redirect_url": None,
            "failure_code": None,
        },
    }
    now = datetime.now(UTC)
    body, headers = signed(app, news, "msg_forged_1", now)
    forged = await resident.post(
        WEBHOOK, content=body, headers={**headers, "webhook-signature": "v1,AAAA"}
    )
    assert forged.status_code == 400
    tampered = await resident.post(WEBHOOK, content=body.replace(b"450", b"45"), headers=headers)
    assert tampered.status_code == 400
    stale_body, stale_headers = signed(app, news, "msg_stale_1", now - timedelta(minutes=6))
    assert (
        await resident.post(WEBHOOK, content=stale_body, headers=stale_headers)
    ).status_code == 400
    no_headers = await resident.post(WEBHOOK, content=body)
    assert no_headers.status_code == 400
    assert await payment_status(resident, application_id, code) == "requested"
    metrics = (await resident.get("/metrics")).text
    assert 'madoguchi_webhook_rejections_total{reason="signature"}' in metrics
    assert 'madoguchi_webhook_rejections_total{reason="stale"}' in metrics

    # A genuine notice is applied once; the same notice again (a replay) changes nothing.
    good = await resident.post(WEBHOOK, content=body, headers=headers)
    assert good.status_code == 200 and good.json()["status"] == "applied"
    assert await payment_status(resident, application_id, code) == "settled"
    replay = await resident.post(WEBHOOK, content=body, headers=headers)
    assert replay.status_code == 200 and replay.json()["status"] == "duplicate"
    settled = [json.loads(b) for b in await read_all(js, f"payment.settled.{ORG}")]
    assert sum(1 for e in settled if e["payment_id"] == payment_id) == 1


async def test_a_success_after_a_failure_notice_is_still_recorded(
    app: AppFixture, resident: httpx.AsyncClient, js: JetStreamContext
) -> None:
    application_id, code = await accepted(app, resident)
    payment_id, page = await pay_by_card(app, resident, application_id, code, CARD_LATE)
    assert "できませんでした" in page.text  # the agent first says it failed

    async def failed_event() -> bool:
        found = [json.loads(b) for b in await read_all(js, f"payment.failed.{ORG}")]
        return any(e["payment_id"] == payment_id for e in found)

    await eventually(failed_event, timeout=10)

    async def paid() -> bool:
        view = await resident.get(
            f"/api/applications/{application_id}", params={"access_code": code}
        )
        return view.json()["status"] == "paid"

    # The agent settles it later without a notice: only the reconciliation loop can learn it.
    await eventually(paid, timeout=40, every=0.5)
    assert await payment_status(resident, application_id, code) == "settled"


async def test_card_numbers_are_nowhere_in_streams_buckets_files_or_logs(
    app: AppFixture, resident: httpx.AsyncClient, js: JetStreamContext, logs: Remember
) -> None:
    application_id, code = await accepted(app, resident)
    await pay_by_card(app, resident, application_id, code, CARD_OK)
    other_id, other_code = await accepted(app, resident)
    await pay_by_card(app, resident, other_id, other_code, CARD_DECLINED)
    cards = [CARD_OK, CARD_DECLINED, CARD_LATE]
    spaced = [" ".join(card[i : i + 4] for i in range(0, 16, 4)) for card in cards]
    needles = [n.encode() for n in cards + spaced]

    names = [info.config.name for info in await js.streams_info()]
    assert {"PAYMENTS", "KV_payments", "OBJ_pi_attachments", "AUDIT_FEED"} <= set(names)
    for name in names:
        blob = b"".join(await read_stream(js, name))
        for needle in needles:
            assert needle not in blob, f"a card number is in stream {name}"
    assert (app.data_dir / "payment_agent" / "sandbox.json").exists()
    # grep in another process: opening and closing the live SQLite file from this process
    # would drop SQLite's POSIX locks on it (the app runs in this process).
    patterns = [arg for needle in cards + spaced for arg in ("-e", needle)]
    grep = await asyncio.create_subprocess_exec(
        "grep", "-rlaF", *patterns, str(app.data_dir), stdout=asyncio.subprocess.PIPE
    )
    found, _ = await grep.communicate()
    assert grep.returncode == 1, f"card numbers found in: {found.decode()}"
    text = "\n".join(logs.lines)
    assert logs.lines, "no log lines were captured"
    for needle in cards + spaced:
        assert needle not in text
