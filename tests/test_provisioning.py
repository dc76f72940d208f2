from __future__ import annotations

import asyncio

from events.catalog import BUCKETS, STREAMS
from infra.crypto import KeyRing
from infra.pi_store import PersonalDataStore, RecordNotFound
from infra.provisioning import provision_all
from schemas.settings import RetentionSettings, Settings
from tests.conftest import NatsFixture
from tests.support import eventually


async def test_provisioning_twice_changes_nothing(fresh_server: NatsFixture) -> None:
    nc = await fresh_server.connect()
    js = nc.jetstream()
    first = await provision_all(js, Settings().retention)
    assert {p.outcome for p in first} == {"created"}
    names = {s.name for s in STREAMS} | {b.stream_name for b in BUCKETS}
    assert {p.stream for p in first} == names
    before = {name: (await js.stream_info(name)) for name in names}

    second = await provision_all(js, Settings().retention)
    assert {p.outcome for p in second} == {"unchanged"}
    for name in names:
        after = await js.stream_info(name)
        assert after.config == before[name].config
        assert after.created == before[name].created
    await nc.close()


async def test_changed_retention_is_applied_on_restart(fresh_server: NatsFixture) -> None:
    nc = await fresh_server.connect()
    js = nc.jetstream()
    await provision_all(js, Settings().retention)
    await js.publish("document.scanned.org-a", b"{}", headers={"Nats-Msg-Id": "keep-me"})

    shorter = RetentionSettings(ocr=3600, applications=7200, attachments=7200, audit=86400 * 30)
    changed = {p.stream: p.outcome for p in await provision_all(js, shorter)}
    assert changed["OBJ_pi_scans"] == "updated"
    assert changed["KV_pi_ocr_results"] == "updated"
    assert changed["DOCUMENTS"] == "updated"
    assert (await js.stream_info("KV_pi_ocr_results")).config.max_age == 3600
    assert (await js.stream_info("OBJ_pi_attachments")).config.max_age == 7200
    documents = await js.stream_info("DOCUMENTS")
    assert documents.config.max_age == 86400 * 30
    assert documents.state.messages == 1  # an update keeps what is stored
    await nc.close()


async def test_a_bucket_with_two_second_retention_really_forgets(
    fresh_server: NatsFixture, keyring: KeyRing
) -> None:
    nc = await fresh_server.connect()
    js = nc.jetstream()
    brief = RetentionSettings(ocr=2, applications=2, attachments=2, audit=3600)
    await provision_all(js, brief)
    store = PersonalDataStore(js, keyring)

    kv = await js.key_value("pi_ocr_results")
    watcher = await kv.watch("doc-1", include_history=False)
    await store.put("ocr_result", "doc-1", "山田太郎 東京都千代田区".encode())
    await store.put("scan", "doc-1", b"%PDF-1.7 pretend scan" * 1000)
    assert await store.get("ocr_result", "doc-1") == "山田太郎 東京都千代田区".encode()

    # The server's own expiry signal: a limit marker, seen by a watcher as a PURGE.
    async def purged() -> bool:
        while True:
            entry = await watcher.updates(timeout=10)
            if entry is not None and entry.operation == "PURGE":
                return True

    assert await asyncio.wait_for(purged(), timeout=15)
    for kind in ("ocr_result", "scan"):

        async def gone(kind: str = kind) -> bool:
            try:
                await store.get(kind, "doc-1")
            except RecordNotFound:
                return True
            return False

        assert await eventually(gone, timeout=10)
    for bucket in ("KV_pi_ocr_results", "OBJ_pi_scans"):
        info = await js.stream_info(bucket)
        assert info.state.messages <= 1  # at most the marker itself, never the data
        assert info.state.bytes < 1000
    await watcher.stop()
    await nc.close()


async def test_kv_config_has_limit_markers(fresh_server: NatsFixture) -> None:
    nc = await fresh_server.connect()
    js = nc.jetstream()
    await provision_all(js, Settings().retention)
    info = await js.stream_info("KV_pi_ocr_results")
    assert info.config.subject_delete_marker_ttl
    await nc.close()
