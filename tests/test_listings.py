"""Listings are complete or an error, open no consumer, and read one org's keys."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from nats.js import JetStreamContext

from handlers.applications import records as application_records
from handlers.ocr import records as ocr_records
from handlers.payments import records as payment_records
from infra.kv import keys_matching, open_kv
from infra.provisioning import provision_all
from schemas.applications import ApplicationState, PaymentState
from schemas.ocr import DocumentStatus
from schemas.settings import Settings
from tests.conftest import NatsFixture

LISTINGS = 2000


@pytest.fixture
async def fresh_js(fresh_server: NatsFixture) -> AsyncIterator[JetStreamContext]:
    """A provisioned server of the test's own: no other test's consumers or keys."""
    nc = await fresh_server.connect()
    js = nc.jetstream()
    await provision_all(js, Settings().retention)
    yield js
    await nc.close()


async def consumers(js: JetStreamContext, bucket: str) -> int:
    return (await js.stream_info(f"KV_{bucket}")).state.consumer_count


def status(org: str, number: int) -> DocumentStatus:
    return DocumentStatus(document_id=f"doc{number}", org=org, status="completed")


async def test_two_thousand_listings_in_a_row_are_complete_and_leave_no_consumer(
    fresh_js: JetStreamContext,
) -> None:
    assert await ocr_records.list_statuses(fresh_js, "ward") == []  # nothing there yet
    for number in range(5):
        await ocr_records.put_status(fresh_js, status("ward", number))
    await ocr_records.put_status(fresh_js, status("tax", 9))
    index = await open_kv(fresh_js, "documents")
    await index.purge("ward.doc4")  # a deleted key is not listed
    wanted = ["doc0", "doc1", "doc2", "doc3"]
    answers = [await ocr_records.list_statuses(fresh_js, "ward") for _ in range(LISTINGS)]
    incomplete = [n for n, found in enumerate(answers) if [s.document_id for s in found] != wanted]
    assert incomplete == []
    assert await consumers(fresh_js, "documents") == 0


async def test_one_orgs_listing_reads_that_orgs_keys_only(fresh_js: JetStreamContext) -> None:
    for org, number in (("ward", 1), ("ward", 2), ("tax", 3)):
        state = ApplicationState(
            application_id=f"app{number}",
            org=org,
            procedure_id="juminhyo",
            status="submitted",
            access_code_hash="x",
        )
        await application_records.save_state(fresh_js, state, 0)
    kv = await open_kv(fresh_js, "applications")
    assert await keys_matching(kv, "ward.*") == ["ward.app1", "ward.app2"]
    listed = await application_records.list_states(fresh_js, "ward")
    assert [s.application_id for s in listed] == ["app1", "app2"]
    found = await application_records.load_state(fresh_js, "app3")  # by id, org unknown
    assert found is not None and found[0].org == "tax"
    assert await application_records.load_state(fresh_js, "app4") is None


def payment(number: int, status: str) -> PaymentState:
    return PaymentState.model_validate(
        {
            "payment_id": f"pay{number}",
            "org": "ward",
            "application_id": f"app{number}",
            "amount": 300,
            "method": "card",
            "status": status,
        }
    )


async def test_reconciliation_reads_only_open_payments(fresh_js: JetStreamContext) -> None:
    assert await payment_records.list_open_payments(fresh_js) == []
    for number in range(4):
        await payment_records.save_payment(fresh_js, payment(number, "requested"), 0)
    settled = await payment_records.load_payment(fresh_js, "pay1")
    assert settled is not None
    await payment_records.save_payment(fresh_js, payment(1, "settled"), settled[1])
    failed = await payment_records.load_payment(fresh_js, "pay2")
    assert failed is not None
    await payment_records.save_payment(fresh_js, payment(2, "failed"), failed[1])
    open_ids = sorted(p.payment_id for p in await payment_records.list_open_payments(fresh_js))
    assert open_ids == ["pay0", "pay2", "pay3"]  # failed may still succeed: it stays open
    listed = await payment_records.list_payments(fresh_js, "ward")
    assert sorted(p.payment_id for p in listed) == ["pay0", "pay1", "pay2", "pay3"]
    assert await payment_records.list_payments(fresh_js, "tax") == []
    assert await consumers(fresh_js, "payments") == 0


async def test_records_under_their_old_keys_are_moved_under_their_org(
    fresh_js: JetStreamContext,
) -> None:
    applications = await open_kv(fresh_js, "applications")
    payments = await open_kv(fresh_js, "payments")
    old = ApplicationState(
        application_id="app9",
        org="ward",
        procedure_id="p",
        status="submitted",
        access_code_hash="x",
    )
    await applications.put("app9", old.model_dump_json().encode())  # as 0.5 kept it
    await payments.put("pay9", payment(9, "requested").model_dump_json().encode())
    assert await application_records.list_states(fresh_js, "ward") == []  # not found: old key
    assert await application_records.move_legacy_keys(fresh_js) == 1
    assert await payment_records.move_legacy_keys(fresh_js) == 1
    assert [s.application_id for s in await application_records.list_states(fresh_js, "ward")] == [
        "app9"
    ]
    assert [p.payment_id for p in await payment_records.list_open_payments(fresh_js)] == ["pay9"]
    assert await application_records.move_legacy_keys(fresh_js) == 0  # done once
    assert await payment_records.move_legacy_keys(fresh_js) == 0
