"""A scan that does not open (a worker with the wrong key-encryption key) is retried, not
failed as "past retention", and read once the right key is back."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from nats.js import JetStreamContext

from events.envelope import new_event_id
from handlers.ocr import records
from infra.crypto import KeyRing
from infra.pi_store import PersonalDataStore, RecordNotFound, RecordUnreadable
from schemas.events import DocumentScanned
from schemas.ocr import DocumentStatus
from tests.conftest import AppFixture
from tests.ocr.corpus import text_page
from tests.support import eventually
from tests.test_metrics import scrape, value

ORG = "unreadable"
SECRET = "氏名: 山田 太郎".encode()


async def test_a_record_under_another_kek_is_unreadable_not_missing(
    js: JetStreamContext, keyring: KeyRing, tmp_path: Path
) -> None:
    record_id = new_event_id()
    await PersonalDataStore(js, keyring).put("ocr_result", record_id, SECRET)
    other = PersonalDataStore(js, KeyRing.load(tmp_path / "other", env={}))
    with pytest.raises(RecordUnreadable):
        await other.get("ocr_result", record_id)
    with pytest.raises(RecordNotFound):  # and a record never written is missing, not unreadable
        await other.get("ocr_result", new_event_id())


async def test_an_unreadable_scan_is_retried_then_read_with_the_right_key(
    app: AppFixture, js: JetStreamContext, tmp_path: Path
) -> None:
    page = io.BytesIO()
    text_page(3, lines=1).image.save(page, format="PNG", dpi=(300, 300))
    document_id = new_event_id()
    wrong = PersonalDataStore(js, KeyRing.load(tmp_path / "wrong-keys", env={}))
    await wrong.put(records.SCAN_KIND, document_id, page.getvalue())
    await records.put_status(js, DocumentStatus(document_id=document_id, org=ORG, status="queued"))
    metrics = app.client(None)
    before = value(await scrape(metrics), "madoguchi_records_unreadable_total", kind="scan")
    event = DocumentScanned(
        event_id=new_event_id(),
        org=ORG,
        document_id=document_id,
        personal_info=False,
        content_type="image/png",
        size_bytes=len(page.getvalue()),
        source="cli",
    )
    await js.publish(
        f"document.scanned.{ORG}",
        event.model_dump_json().encode(),
        headers={"Nats-Msg-Id": event.event_id},
    )

    async def tried(times: int) -> bool:
        now = value(await scrape(metrics), "madoguchi_records_unreadable_total", kind="scan")
        return now - before >= times

    await eventually(lambda: tried(2), timeout=30)  # delivered again: a retry, not a failure
    status = await records.get_status(js, ORG, document_id)
    assert status is not None and status.status == "queued", status
    # The right key is back (here: the scan stored again under the service's own KEK).
    right = PersonalDataStore(js, KeyRing.load(app.data_dir / "keys", env={}))
    await right.put(records.SCAN_KIND, document_id, page.getvalue())

    async def completed() -> bool:
        found = await records.get_status(js, ORG, document_id)
        return found is not None and found.status == "completed"

    await eventually(completed, timeout=60)
