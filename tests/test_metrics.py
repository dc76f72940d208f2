"""`/metrics` after the events it counts: OCR pages and times, sign-in failures, refusals, dead
letters and consumer lag, labelled by stream, consumer and reason, never by org or person."""

from __future__ import annotations

import io

import httpx
import pytest
from nats.js import JetStreamContext
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import AppFixture
from tests.identity.test_sign_in import GOOD, cli
from tests.ocr.corpus import text_page
from tests.support import eventually

ORG = "metrics-ka"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


async def scrape(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200
    return response.text


@pytest.fixture(scope="module")
async def clerk(app: AppFixture) -> str:
    code, _, err = await cli(app, "org", "add", ORG, "--name", "計測課")
    assert code == 0, err
    code, _, err = await cli(
        app,
        *("user", "add", "metrics-clerk", "--org", ORG, "--role", "staff"),
        "--password-stdin",
        stdin=GOOD + "\n",
    )
    assert code == 0, err
    return "metrics-clerk"


async def reader_idle(js: JetStreamContext) -> bool:
    info = await js.consumer_info("DOCUMENTS", "ocr")
    return info.num_pending == 0 and info.num_ack_pending == 0


async def test_metrics_count_what_happened(
    app: AppFixture, clerk: str, js: JetStreamContext
) -> None:
    # Scans other tests handed in are read by the same process: counted from an idle reader,
    # the OCR counters grow by this test's one page only.
    await eventually(lambda: reader_idle(js), timeout=300, every=0.5)
    async with app.client("SA") as client:
        before = await scrape(client)

        wrong = await client.post("/api/session", json={"login": clerk, "password": "nope-1"})
        assert wrong.status_code == 401
        signed_in = await client.post("/api/session", json={"login": clerk, "password": GOOD})
        assert signed_in.status_code == 200, signed_in.text
        csrf = {"X-CSRF-Token": signed_in.json()["csrf_token"]}

        buffer = io.BytesIO()
        text_page(11, lines=6).image.save(buffer, "PNG", dpi=(300, 300))
        files = {"file": ("page.png", buffer.getvalue(), "image/png")}
        # A clerk without personal-information duties may not hand in a scan with PI: refused.
        refused = await client.post(
            "/api/documents", files=files, data={"personal_info": "true"}, headers=csrf
        )
        assert refused.status_code == 403 and refused.json()["error"] == "not_pi_handler"
        uploaded = await client.post(
            "/api/documents", files=files, data={"personal_info": "false"}, headers=csrf
        )
        assert uploaded.status_code == 202, uploaded.text
        document_id = uploaded.json()["document_id"]

        async def read() -> bool:
            found = (await client.get(f"/api/documents/{document_id}")).json()
            return found.get("status") == "completed"

        await eventually(read, timeout=120, every=0.5)

        # A payload no handler can read is dead-lettered at once (applications-paid consumer).
        await js.publish(
            f"payment.settled.{ORG}", b"{not json", headers={"Nats-Msg-Id": "metrics-poison"}
        )

        async def dead_lettered() -> str | None:
            text = await scrape(client)
            grew = value(text, "madoguchi_dead_letters") > value(before, "madoguchi_dead_letters")
            return text if grew else None

        after = await eventually(dead_lettered, timeout=20, every=0.3)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("madoguchi_sign_in_failures_total", reason="wrong_credentials") == 1
    assert grew("madoguchi_access_refusals_total", reason="not_pi_handler") == 1
    assert grew("madoguchi_ocr_pages_total") == 1
    assert grew("madoguchi_ocr_document_seconds_count", outcome="completed") == 1
    assert grew("madoguchi_ocr_latency_seconds_count", outcome="completed") == 1
    took = grew("madoguchi_ocr_document_seconds_sum", outcome="completed")
    waited = grew("madoguchi_ocr_latency_seconds_sum", outcome="completed")
    assert 0 < took <= waited  # the latency counts from the scan, so it includes the handling
    assert value(after, "madoguchi_bus_up") == 1
    assert value(after, "madoguchi_stream_messages", stream="DEADLETTER") == value(
        after, "madoguchi_dead_letters"
    )
    # Lag per stream and durable consumer: the OCR consumer has caught up.
    ocr_lag = frozenset({("stream", "DOCUMENTS"), ("consumer", "ocr")})
    assert samples(after)[("madoguchi_consumer_pending", ocr_lag)] == 0
    # Labels name streams, consumers, families and reasons: never the org.
    assert ORG not in after and clerk not in after

    poison = await js.get_last_msg("DEADLETTER", f"deadletter.payment.settled.{ORG}")
    await js.delete_msg("DEADLETTER", poison.seq)  # leave the session's stream as it was


# Run in a fresh interpreter: the app's modules imported, nothing counted yet.
LABELLED_COUNTERS = """
import json
import handlers.app
from prometheus_client import REGISTRY
found = {}
for collector in list(REGISTRY._collector_to_names):
    if getattr(collector, "_type", None) == "counter" and getattr(collector, "_labelnames", ()):
        (family,) = collector.collect()
        found[family.name] = sum(1 for s in family.samples if s.name.endswith("_total"))
print(json.dumps(found))
"""


def test_every_labelled_counter_has_its_series_from_the_start() -> None:
    """An alert's increase() misses the first burst of a counter whose series appear with it."""
    import json
    import subprocess
    import sys

    ran = subprocess.run(
        [sys.executable, "-c", LABELLED_COUNTERS], capture_output=True, text=True, check=True
    )
    series = json.loads(ran.stdout)
    assert "madoguchi_webhook_rejections" in series  # it did find the labelled counters
    assert len(series) >= 5
    assert {name for name, count in series.items() if count == 0} == set()
