from __future__ import annotations

import asyncio

import pytest
from nats.js import JetStreamContext

from events.envelope import new_event_id
from infra.crypto import KeyRing
from infra.pi_store import PersonalDataStore, RecordNotFound, UnknownKind


@pytest.mark.parametrize("kind", ["scan", "ocr_result", "application", "attachment"])
async def test_put_get_delete_round_trip(js: JetStreamContext, keyring: KeyRing, kind: str) -> None:
    store = PersonalDataStore(js, keyring)
    record_id = new_event_id()
    data = "氏名: 山田 太郎\n住所: 東京都千代田区丸の内1-2-3".encode() * 50
    await store.put(kind, record_id, data)
    assert await store.get(kind, record_id) == data
    await store.put(kind, record_id, b"corrected")
    assert await store.get(kind, record_id) == b"corrected"
    await store.delete(kind, record_id)
    with pytest.raises(RecordNotFound):
        await store.get(kind, record_id)
    await store.delete(kind, record_id)  # deleting twice is not an error


async def test_deleted_kv_record_leaves_no_history(js: JetStreamContext, keyring: KeyRing) -> None:
    store = PersonalDataStore(js, keyring)
    record_id = new_event_id()
    await store.put("ocr_result", record_id, b"first secret")
    await store.put("ocr_result", record_id, b"second secret")
    await store.delete("ocr_result", record_id)
    kv = await js.key_value("pi_ocr_results")
    history = await kv.history(record_id)
    assert all(not entry.value for entry in history)


async def test_a_large_scan_goes_to_the_object_store(
    js: JetStreamContext, keyring: KeyRing
) -> None:
    store = PersonalDataStore(js, keyring)
    record_id = new_event_id()
    big = bytes(range(256)) * 40_000  # 10 MB, larger than one NATS message
    await store.put("scan", record_id, big)
    assert await store.get("scan", record_id) == big
    await store.delete("scan", record_id)


async def test_bad_kind_and_bad_id_are_refused(js: JetStreamContext, keyring: KeyRing) -> None:
    store = PersonalDataStore(js, keyring)
    with pytest.raises(UnknownKind):
        await store.put("diary", "x", b"")
    for bad in ["", "a.b", "a/b", "a b", "x" * 129, "*", ">"]:
        with pytest.raises(ValueError):
            await store.put("ocr_result", bad, b"")
    with pytest.raises(RecordNotFound):
        await store.get("ocr_result", "never-written")


async def test_a_scan_whose_chunks_expired_under_the_read_is_not_found_not_a_hang(
    js: JetStreamContext, keyring: KeyRing
) -> None:
    """Retention removes a scan's chunks before its description (they were written first):
    a read in between finds the description and must not wait forever for the chunks."""
    store = PersonalDataStore(js, keyring)
    record_id = new_event_id()
    await store.put("scan", record_id, b"%PDF-1.7 pretend scan" * 1000)
    info = await (await js.object_store("pi_scans")).get_info(record_id)
    await js.purge_stream("OBJ_pi_scans", subject=f"$O.pi_scans.C.{info.nuid}")
    with pytest.raises(RecordNotFound):
        await asyncio.wait_for(store.get("scan", record_id), timeout=30)
