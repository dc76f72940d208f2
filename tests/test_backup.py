"""The backup and restore drill: snapshot every stream and bucket, let the short retention run
out, restore into a new server, and check that what was in retention reads back while what
was past it stays unreadable, although a copy of it was in the backup."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from events.catalog import BUCKETS, STREAMS
from events.envelope import new_event_id
from infra.crypto import KeyRing
from infra.nats_server import EmbeddedNatsServer
from infra.pi_store import PersonalDataStore, RecordNotFound
from infra.provisioning import provision_all
from schemas.settings import RetentionSettings
from tests.conftest import NatsFixture, free_port
from tests.support import eventually, madoguchi

SHORT = 3.0  # seconds: the OCR records' retention in this drill
DRILL = RetentionSettings(ocr=SHORT, applications=3600, attachments=3600, audit=3600)
NAME = "窓口太郎 東京都千代田区丸の内1-2-3"


@pytest.fixture
async def second_server(tmp_path: Path) -> AsyncIterator[NatsFixture]:
    """A new, empty server: the machine the backup is restored on."""
    server = EmbeddedNatsServer(tmp_path / "restored", free_port())
    await server.start()
    yield NatsFixture(server, tmp_path / "restored")
    await server.stop()


async def test_restore_reads_what_is_in_retention_and_not_what_expired(
    fresh_server: NatsFixture, second_server: NatsFixture, keyring: KeyRing, tmp_path: Path
) -> None:
    nc = await fresh_server.connect()
    js = nc.jetstream()
    await provision_all(js, DRILL)
    store = PersonalDataStore(js, keyring)
    short = [new_event_id() for _ in range(3)]  # OCR results: kept SHORT seconds
    long = [new_event_id() for _ in range(3)]  # application answers: kept an hour
    for record_id in short:
        await store.put("ocr_result", record_id, f"{NAME} {record_id}".encode())
    for record_id in long:
        await store.put("application", record_id, f"{NAME} {record_id}".encode())
    ack = await js.publish("document.scanned.org-a", b"{}", headers={"Nats-Msg-Id": "drill-1"})
    original = await js.get_msg("DOCUMENTS", ack.seq)

    backup = tmp_path / "backup"
    code, out, err = await madoguchi(fresh_server.data_dir, "backup", "--out", str(backup))
    assert code == 0, err
    assert f"KV_pi_keys_ocr\t{len(short)} messages" in out
    manifest = json.loads((backup / "manifest.json").read_text())
    saved = {entry["name"]: entry for entry in manifest["streams"]}
    assert set(saved) == {s.name for s in STREAMS} | {b.stream_name for b in BUCKETS}
    # The short-lived records and their data keys are in the backup.
    assert saved["KV_pi_keys_ocr"]["messages"] == len(short)
    assert saved["KV_pi_ocr_results"]["messages"] == len(short)
    assert saved["KV_pi_applications"]["messages"] == len(long)
    for entry in saved.values():
        assert (backup / entry["file"]).stat().st_mode & 0o077 == 0
        assert NAME.encode() not in (backup / entry["file"]).read_bytes()  # sealed at rest

    async def short_ones_expired() -> bool:
        for record_id in short:
            try:
                await store.get("ocr_result", record_id)
                return False
            except RecordNotFound:
                pass
        return True

    await eventually(short_ones_expired, timeout=SHORT + 10)
    await nc.close()

    code, out, err = await madoguchi(second_server.data_dir, "restore", "--from", str(backup))
    assert code == 0, err
    assert f"KV_pi_keys_ocr\t{len(short)} messages in the backup\t{len(short)} past" in out
    assert f"KV_pi_applications\t{len(long)} messages in the backup\t0 past" in out
    nc2 = await second_server.connect()
    js2 = nc2.jetstream()
    restored = PersonalDataStore(js2, keyring)
    for record_id in long:
        assert await restored.get("application", record_id) == f"{NAME} {record_id}".encode()
    # What actually happens: a snapshot keeps each message's original time and the restored
    # stream keeps its max_age, so the server drops the keys (and records) that are past their
    # retention on its first expiry pass after the restore; `restore` waits for that pass, so
    # from the moment it returns they cannot be read. Even a copy of the sealed blob elsewhere
    # would not open: its data key is gone.
    for record_id in short:
        with pytest.raises(RecordNotFound):
            await restored.get("ocr_result", record_id)
    keys = await js2.stream_info("KV_pi_keys_ocr")
    assert keys.config.max_age == SHORT
    assert keys.state.messages <= len(short)  # at most the server's expiry markers, no values
    kv = await js2.key_value("pi_keys_ocr")
    for record_id in short:
        try:
            assert not (await kv.get(f"ocr_result.{record_id}")).value
        except Exception as exc:  # gone entirely once the markers expire too
            assert type(exc).__name__ == "KeyNotFoundError"
    # Events come back with their sequence, headers and original time.
    again = await js2.get_msg("DOCUMENTS", ack.seq)
    assert again.headers == original.headers and again.time == original.time
    assert (await js2.stream_info("DOCUMENTS")).config.max_age == 3600
    await nc2.close()

    # Restoring twice into the same bus is refused, naming what is already there.
    code, _, err = await madoguchi(second_server.data_dir, "restore", "--from", str(backup))
    assert code == 1 and "already has DOCUMENTS" in err


async def test_restore_refuses_an_altered_or_unfinished_backup(
    fresh_server: NatsFixture, tmp_path: Path
) -> None:
    nc = await fresh_server.connect()
    await provision_all(nc.jetstream(), DRILL)
    await nc.close()
    backup = tmp_path / "backup"
    code, _, err = await madoguchi(fresh_server.data_dir, "backup", "--out", str(backup))
    assert code == 0, err
    code, _, err = await madoguchi(fresh_server.data_dir, "backup", "--out", str(backup))
    assert code == 2 and "already holds a backup" in err
    snapshot = backup / "DOCUMENTS.tar.s2"
    data = snapshot.read_bytes()
    snapshot.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # the same size, one bit off
    code, _, err = await madoguchi(fresh_server.data_dir, "restore", "--from", str(backup))
    assert code == 1 and "DOCUMENTS.tar.s2: altered" in err
    (backup / "manifest.json").unlink()
    code, _, err = await madoguchi(fresh_server.data_dir, "restore", "--from", str(backup))
    assert code == 1 and "no manifest.json" in err


async def test_embedded_restore_into_a_new_data_directory(
    fresh_server: NatsFixture, keyring: KeyRing, tmp_path: Path
) -> None:
    nc = await fresh_server.connect()
    js = nc.jetstream()
    await provision_all(js, DRILL)
    record_id = new_event_id()
    await PersonalDataStore(js, keyring).put("application", record_id, b"answers")
    # Several megabytes: the snapshot comes in many chunks, acknowledged one by one.
    big = os.urandom(3 * 1024 * 1024)
    await PersonalDataStore(js, keyring).put("attachment", record_id, big)
    await nc.close()
    backup = tmp_path / "backup"
    code, _, err = await madoguchi(fresh_server.data_dir, "backup", "--out", str(backup))
    assert code == 0, err

    fresh_data = tmp_path / "new-data"
    code, out, err = await madoguchi(fresh_data, "restore", "--from", str(backup), "--embedded")
    assert code == 0, err
    assert "KV_pi_applications\t1 messages in the backup\t0 past" in out
    # The restored store is the new --data's: a server started on it has everything.
    server = EmbeddedNatsServer(fresh_data, free_port())
    await server.start()
    try:
        nc = await NatsFixture(server, fresh_data).connect()
        restored = PersonalDataStore(nc.jetstream(), keyring)
        assert await restored.get("application", record_id) == b"answers"
        assert await restored.get("attachment", record_id) == big
        await nc.close()
    finally:
        await server.stop()
    code, _, err = await madoguchi(fresh_data, "restore", "--from", str(backup), "--embedded")
    assert code == 2 and "already has a JetStream store" in err
