"""Envelope encryption under the personal-data store: sealed at rest, bound to its id,
shredded with its key, KEKs rotated and records rewrapped."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from nats.js import JetStreamContext

from events.envelope import new_event_id
from infra.crypto import DecryptionError, KeyRing, open_blob, rotate, seal
from infra.kv import RecordChanged
from infra.pi_store import PersonalDataStore, RecordNotFound, RecordUnreadable

SECRET = "氏名: 山田 太郎 / マイナンバー 1234 5678 9012".encode()


def test_seal_binds_to_its_record() -> None:
    key, blob = seal(SECRET, b"data/scan/doc-1")
    assert SECRET not in blob and blob.startswith(b"MG1")
    assert open_blob(key, blob, b"data/scan/doc-1") == SECRET
    with pytest.raises(DecryptionError):
        open_blob(key, blob, b"data/scan/doc-2")  # the same bytes under another id
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(DecryptionError):
        open_blob(key, tampered, b"data/scan/doc-1")


def test_first_kek_is_made_private_and_env_wins(tmp_path: Path) -> None:
    ring = KeyRing.load(tmp_path / "keys", env={})
    (kek_file,) = (tmp_path / "keys").glob("*.kek")
    assert kek_file.stat().st_mode & 0o077 == 0 and ring.current == kek_file.stem
    assert KeyRing.load(tmp_path / "keys", env={}).current == ring.current  # kept, not remade
    given = base64.b64encode(os.urandom(32)).decode()
    assert KeyRing.load(tmp_path / "keys", env={"MADOGUCHI_KEK": given}).current == "env"
    with pytest.raises(ValueError):
        KeyRing.load(tmp_path / "keys", env={"MADOGUCHI_KEK": "c2hvcnQ="})


async def test_records_are_sealed_at_rest(js: JetStreamContext, keyring: KeyRing) -> None:
    store = PersonalDataStore(js, keyring)
    record_id = new_event_id()
    await store.put("ocr_result", record_id, SECRET)
    raw = await (await js.key_value("pi_ocr_results")).get(record_id)
    assert raw.value is not None and SECRET not in raw.value and "山田".encode() not in raw.value
    wrapped = await (await js.key_value("pi_keys_ocr")).get(f"ocr_result.{record_id}")
    assert wrapped.value is not None and wrapped.value.startswith(keyring.current.encode())
    assert await store.get("ocr_result", record_id) == SECRET


async def test_without_its_key_a_record_is_unreadable(
    js: JetStreamContext, keyring: KeyRing
) -> None:
    store = PersonalDataStore(js, keyring)
    record_id = new_event_id()
    await store.put("scan", record_id, SECRET * 100)
    await (await js.key_value("pi_keys_ocr")).purge(f"scan.{record_id}")
    assert (await (await js.object_store("pi_scans")).get(record_id)).data  # the blob is there
    with pytest.raises(RecordNotFound):
        await store.get("scan", record_id)
    other = KeyRing.load(Path(os.environ.get("TMPDIR", "/tmp")) / f"other-{record_id}", env={})
    await store.put("ocr_result", record_id, SECRET)
    with pytest.raises(RecordUnreadable):  # another deployment's KEK opens nothing here
        await PersonalDataStore(js, other).get("ocr_result", record_id)


async def test_a_blob_copied_under_another_id_does_not_open(
    js: JetStreamContext, keyring: KeyRing
) -> None:
    store = PersonalDataStore(js, keyring)
    first, second = new_event_id(), new_event_id()
    await store.put("ocr_result", first, SECRET)
    await store.put("ocr_result", second, b"harmless")
    kv = await js.key_value("pi_ocr_results")
    await kv.put(second, (await kv.get(first)).value or b"")
    with pytest.raises(RecordUnreadable):
        await store.get("ocr_result", second)


async def test_rotate_then_rewrap(js: JetStreamContext, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    old = KeyRing.load(keys, env={})
    record_id = new_event_id()
    await PersonalDataStore(js, old).put("application", record_id, SECRET)
    rotate(keys)
    both = KeyRing.load(keys, env={})
    assert both.current != old.current and set(both.keys) == {old.current, both.current}
    store = PersonalDataStore(js, both)
    assert await store.get("application", record_id) == SECRET  # old records still open
    rewrapped, _ = await store.rewrap()  # other tests' keys (other KEKs) are counted, left alone
    assert rewrapped >= 1
    wrapped = await (await js.key_value("pi_keys_applications")).get(f"application.{record_id}")
    assert wrapped.value is not None and wrapped.value.startswith(both.current.encode())
    (keys / f"{old.current}.kek").unlink()  # the old KEK retired
    assert (
        await PersonalDataStore(js, KeyRing.load(keys, env={})).get("application", record_id)
        == SECRET
    )


async def test_replace_writes_over_the_revision_read_only(
    js: JetStreamContext, keyring: KeyRing
) -> None:
    store = PersonalDataStore(js, keyring)
    record_id = new_event_id()
    await store.put("ocr_result", record_id, b"as read")
    _, revision = await store.read("ocr_result", record_id)
    await store.replace("ocr_result", record_id, b"first clerk", revision)
    with pytest.raises(RecordChanged):  # the second clerk started from the same revision
        await store.replace("ocr_result", record_id, b"second clerk", revision)
    assert await store.get("ocr_result", record_id) == b"first clerk"
