"""Scan intake over the bus (`scan.submit.<org>`): the pure upload table first, then the service
on a server of the test's own, driven by a raw client holding the scanner's credentials only."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from PIL import Image

from handlers.ocr import records
from handlers.ocr.scan_service import ScanIntake
from handlers.ocr.scanner_client import HandIn, ScannerBus, hand_in, submit_headers
from handlers.ocr.uploads import UploadLimits, Uploads, document_id_for
from handlers.shared.uploads import Limits
from infra.nats_server import EmbeddedNatsServer
from infra.pi_store import PersonalDataStore, RecordNotFound, open_pi_store
from infra.provisioning import provision_all
from schemas.scan_intake import BusCredentials, ScanSubmitHeaders, ScanSubmitReply
from schemas.settings import Settings
from tests.conftest import free_port
from tests.support import eventually, read_all

ORG, OTHER = "shimin", "zeimu"
SHA = "ab" * 32


# ---------------------------------------------------------------------------------------
# The upload table (pure)


def declared(size: int, sha256: str = SHA) -> ScanSubmitHeaders:
    return ScanSubmitHeaders(sha256=sha256, size=size, offset=0)


@pytest.mark.parametrize(
    ("offset", "body", "expected", "received"),
    [
        (0, b"abc", "partial", 3),  # the next chunk, not yet all
        (0, b"abcdef", "complete", 6),  # the last one
        (3, b"abc", "resend", 0),  # a gap: nothing added, the reply names offset 0
        (0, b"abcdefg", "overflow", 0),  # more than declared
    ],
)
def test_a_chunk_is_added_only_at_the_expected_offset(
    offset: int, body: bytes, expected: str, received: int
) -> None:
    uploads = Uploads(UploadLimits())
    upload = uploads.open("t", ORG, declared(6), "d", now=0.0)
    assert uploads.take(upload, offset, body, now=1.0) == expected
    assert upload.received == received
    assert upload.finishing == (expected == "complete")


def test_a_repeated_chunk_is_not_added_twice_and_the_hash_is_checked() -> None:
    data = b"0123456789"
    uploads = Uploads(UploadLimits())
    upload = uploads.open("t", ORG, declared(10, hashlib.sha256(data).hexdigest()), "d", 0.0)
    assert uploads.take(upload, 0, data[:4], 0.0) == "partial"
    assert uploads.take(upload, 0, data[:4], 0.0) == "resend"
    assert uploads.take(upload, 4, data[4:], 0.0) == "complete"
    assert upload.intact()
    tampered = uploads.open("u", ORG, declared(10, hashlib.sha256(data).hexdigest()), "d", 0.0)
    uploads.take(tampered, 0, b"X" * 10, 0.0)
    assert not tampered.intact()


def test_admission_is_bounded_per_org_in_count_and_bytes() -> None:
    uploads = Uploads(UploadLimits(uploads_per_org=2, bytes_per_org=100))
    assert uploads.admits(ORG, 100) and not uploads.admits(ORG, 101)
    uploads.open("a", ORG, declared(60, "1" * 64), "d1", 0.0)
    assert not uploads.admits(ORG, 41) and uploads.admits(ORG, 40)
    uploads.open("b", ORG, declared(10, "2" * 64), "d2", 0.0)
    assert not uploads.admits(ORG, 1)  # two running: the count is full
    assert uploads.admits(OTHER, 100)  # another org is not held up
    assert uploads.in_flight(ORG) == (2, 70)


def test_idle_uploads_expire_but_never_one_being_stored() -> None:
    uploads = Uploads(UploadLimits(idle_seconds=10))
    idle = uploads.open("idle", ORG, declared(6, "1" * 64), "d1", now=0.0)
    uploads.take(idle, 0, b"abc", now=1.0)
    storing = uploads.open("storing", ORG, declared(3, "2" * 64), "d2", now=0.0)
    uploads.take(storing, 0, b"abc", now=1.0)
    assert uploads.expire(now=10.5) == []
    assert uploads.expire(now=11.5) == ["idle"]
    assert uploads.get("idle") is None and idle.received == 0  # its bytes are gone too
    assert uploads.get("storing") is storing and uploads.in_flight(ORG) == (1, 3)


def test_the_document_id_depends_on_org_and_content_only() -> None:
    assert document_id_for(ORG, SHA) == document_id_for(ORG, SHA)
    assert document_id_for(ORG, SHA) != document_id_for(OTHER, SHA)
    assert document_id_for(ORG, SHA) != document_id_for(ORG, "cd" * 32)
    assert len(document_id_for(ORG, SHA)) == 32


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Scan-Sha256": "XY", "Scan-Size": "1", "Scan-Offset": "0"},
        {"Scan-Sha256": SHA, "Scan-Size": "-1", "Scan-Offset": "0"},
        {"Scan-Sha256": SHA, "Scan-Size": "1", "Scan-Offset": "0", "Scan-Template": "../x"},
    ],
)
def test_bad_headers_are_refused(headers: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        ScanSubmitHeaders.model_validate(headers)


def test_the_client_headers_are_what_the_service_reads() -> None:
    headers = submit_headers(SHA, 10, 4, "form-1", True)
    assert ScanSubmitHeaders.model_validate(headers) == ScanSubmitHeaders(
        sha256=SHA, size=10, offset=4, template_id="form-1", personal_info=True
    )


# ---------------------------------------------------------------------------------------
# The service, on a server of the test's own


@dataclass
class Bus:
    server: EmbeddedNatsServer
    operator: Client
    store: PersonalDataStore

    def creds(self, org: str) -> BusCredentials:
        user = f"scanner-{org}"
        return BusCredentials(
            url=self.server.url,
            user=user,
            password=self.server.passwords[user],
            inbox_prefix=f"_INBOX_{user}",
            org=org,
        )

    async def scanner(self, org: str = ORG) -> ScannerBus:
        return await ScannerBus().connect(self.creds(org), [self.server.url])


@pytest.fixture(scope="module")
async def bus(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Bus]:
    """One server for the module (each test hands in files of its own)."""
    data_dir = tmp_path_factory.mktemp("scan-submit")
    server = EmbeddedNatsServer(data_dir, free_port(), orgs=[ORG, OTHER])
    await server.start()
    operator = await nats.connect(
        server.url, user="operator", password=server.passwords["operator"]
    )
    await provision_all(operator.jetstream(), Settings().retention)
    yield Bus(server, operator, open_pi_store(operator.jetstream(), data_dir))
    await operator.close()
    await server.stop()


@pytest.fixture
async def intake(bus: Bus) -> AsyncIterator[ScanIntake]:
    service = ScanIntake(
        bus.operator,
        bus.store,
        Limits(max_bytes=4 * 1024 * 1024),
        UploadLimits(chunk_bytes=64 * 1024),
    )
    await service.start()
    yield service
    await service.stop()


def png(path: Path, seed: int, side: int = 600) -> bytes:
    """A noisy PNG (it does not compress): about side*side*3 bytes."""
    image = Image.frombytes(
        "RGB", (side, side), hashlib.shake_256(bytes([seed])).digest(side * side * 3)
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


async def scanned_events(bus: Bus, org: str, document_id: str) -> list[bytes]:
    events = await read_all(bus.operator.jetstream(), f"document.scanned.{org}")
    return [event for event in events if document_id.encode() in event]


async def test_a_file_in_chunks_is_stored_encrypted_and_announced_once(
    bus: Bus, intake: ScanIntake, tmp_path: Path
) -> None:
    data = png(tmp_path / "scan.png", seed=1)
    expected_id = document_id_for(ORG, hashlib.sha256(data).hexdigest())
    assert await scanned_events(bus, ORG, expected_id) == []
    assert len(data) > 10 * 64 * 1024  # many chunks
    scanner = await bus.scanner()
    first = await hand_in(scanner, tmp_path / "scan.png", HandIn(ORG, personal_info=True))
    again = await hand_in(scanner, tmp_path / "scan.png", HandIn(ORG, personal_info=True))
    await scanner.close()

    assert first.status == "accepted" and first.document_id == expected_id
    assert again == first  # the same file twice: the same id, nothing stored twice
    assert await bus.store.get(records.SCAN_KIND, first.document_id) == data
    status = await records.get_status(bus.operator.jetstream(), ORG, first.document_id)
    assert status is not None and status.status == "queued" and status.personal_info
    events = await scanned_events(bus, ORG, expected_id)
    assert len(events) == 1
    assert b'"source":"scanner"' in events[0] and b'"org":"shimin"' in events[0]
    assert len(intake.uploads) == 0


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "empty"),
        (b"not a scan at all", "unsupported_type"),
        (b"%PDF-1.7" + b"0" * (5 << 20), "too_large"),
    ],
)
async def test_what_intake_refuses_is_refused_at_the_first_chunk_with_a_reason(
    bus: Bus, intake: ScanIntake, tmp_path: Path, content: bytes, code: str
) -> None:
    path = tmp_path / "bad.pdf"
    path.write_bytes(content)
    scanner = await bus.scanner()
    reply = await hand_in(scanner, path, HandIn(ORG))
    await scanner.close()
    assert reply.status == "rejected" and reply.reason_code == code and reply.reason
    assert reply.document_id is not None
    with pytest.raises(RecordNotFound):
        await bus.store.get(records.SCAN_KIND, reply.document_id)
    status = await records.get_status(bus.operator.jetstream(), ORG, reply.document_id)
    assert status is not None and status.reason_code == code  # staff see the refusal


async def test_a_file_that_changes_in_transit_is_refused_and_not_stored(
    bus: Bus, intake: ScanIntake, tmp_path: Path
) -> None:
    data = png(tmp_path / "scan.png", seed=2, side=200)
    scanner = await bus.scanner()
    assert scanner.client is not None
    claimed = hashlib.sha256(b"something else").hexdigest()
    headers = submit_headers(claimed, len(data), 0, None, False)
    answer = await scanner.client.request(f"scan.submit.{ORG}", data, 5, headers=headers)
    await scanner.close()
    reply = ScanSubmitReply.model_validate_json(answer.data)
    assert reply.status == "rejected" and reply.reason_code == "hash_mismatch"
    assert reply.document_id is None  # nothing was recorded
    document_id = document_id_for(ORG, claimed)
    assert await records.get_status(bus.operator.jetstream(), ORG, document_id) is None
    assert len(intake.uploads) == 0


async def test_uploads_in_flight_are_bounded_per_org_and_abandoned_ones_leave_nothing(
    bus: Bus, tmp_path: Path
) -> None:
    service = ScanIntake(
        bus.operator,
        bus.store,
        Limits(),
        UploadLimits(uploads_per_org=1, idle_seconds=0.5, chunk_bytes=64 * 1024),
    )
    running = asyncio.create_task(service.run())
    await eventually(lambda: asyncio.sleep(0, service.service is not None))
    data = [png(tmp_path / f"{n}.png", seed=10 + n) for n in range(2)]
    scanner = await bus.scanner()
    assert scanner.client is not None

    async def start(org: str, content: bytes) -> ScanSubmitReply:
        sha = hashlib.sha256(content).hexdigest()
        headers = submit_headers(sha, len(content), 0, None, False)
        msg = await scanner.request(f"scan.submit.{org}", content[: 64 * 1024], headers, 5)
        return ScanSubmitReply.model_validate_json(msg.data)

    opened = await start(ORG, data[0])
    assert opened.status == "continue" and opened.offset == 64 * 1024
    busy = await start(ORG, data[1])
    assert busy.status == "retry" and busy.reason_code == "busy" and busy.retry_after
    other = await ScannerBus().connect(bus.creds(OTHER), [bus.server.url])
    elsewhere = await hand_in(other, tmp_path / "1.png", HandIn(OTHER))
    assert elsewhere.status == "accepted"  # another org is not held up
    await other.close()

    # The scanner goes quiet: the upload is dropped, with everything it held.
    await eventually(lambda: asyncio.sleep(0, len(service.uploads) == 0), timeout=5)
    assert opened.upload is not None
    late = submit_headers(hashlib.sha256(data[0]).hexdigest(), len(data[0]), 64 * 1024, None, False)
    msg = await scanner.request(opened.upload, data[0][64 * 1024 : 128 * 1024], late, 5)
    assert ScanSubmitReply.model_validate_json(msg.data).reason_code == "upload_unknown"
    assert opened.document_id is not None
    assert await records.get_status(bus.operator.jetstream(), ORG, opened.document_id) is None
    with pytest.raises(RecordNotFound):
        await bus.store.get(records.SCAN_KIND, opened.document_id)
    # ... and the room it held is free again
    assert (await hand_in(scanner, tmp_path / "1.png", HandIn(ORG))).status == "accepted"
    await scanner.close()
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running


# ---------------------------------------------------------------------------------------
# `watch` on a scanner PC, through a restart of the bus and of the service mid-upload


async def test_watch_on_a_scanner_pc_survives_a_restart_mid_upload_and_hands_in_once(
    tmp_path: Path,
) -> None:
    server = EmbeddedNatsServer(tmp_path / "server", free_port(), orgs=[ORG])
    await server.start()
    operator = await nats.connect(
        server.url, user="operator", password=server.passwords["operator"]
    )
    await provision_all(operator.jetstream(), Settings().retention)
    bus = Bus(server, operator, open_pi_store(operator.jetstream(), tmp_path / "server"))
    small_chunks = UploadLimits(chunk_bytes=64 * 1024)
    intake = ScanIntake(operator, bus.store, Limits(), small_chunks)
    await intake.start()
    folder, pc_data = tmp_path / "hot", tmp_path / "pc-data"
    folder.mkdir()
    pc_data.mkdir()
    # Names may be personal: they must never reach a log line. One file is not a scan.
    files = {f"山田太郎_{n}.png": png(folder / f"山田太郎_{n}.png", 40 + n, 1000) for n in range(3)}
    (folder / "zz.bin").write_bytes(b"not a scan")
    creds = tmp_path / "shimin.json"
    creds.write_text(bus.creds(ORG).model_dump_json())

    # Freeze the scanner PC a few chunks into its first upload.
    watcher = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "handlers", "--data", str(pc_data), "watch", str(folder), "--once",
        "--settle", "0.2", "--interval", "0.1", "--creds", str(creds), "--nats-url", server.url,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    seen = 0

    async def spy(msg: Msg) -> None:
        nonlocal seen
        seen += 1
        if seen == 4:
            watcher.send_signal(signal.SIGSTOP)

    await operator.subscribe("scan.submit.>", cb=spy)
    try:
        await eventually(lambda: asyncio.sleep(0, seen >= 4), timeout=60)
        await eventually(lambda: asyncio.sleep(0, len(intake.uploads) == 1))
        (upload,) = intake.uploads.running()
        assert 0 < upload.received < upload.declared.size  # in the middle of an upload

        # The service and the bus restart: the upload in progress is gone with them.
        await intake.stop()
        await server.stop()
        await server.start()
        await eventually(lambda: asyncio.sleep(0, operator.is_connected), timeout=30)
        intake = ScanIntake(operator, bus.store, Limits(), small_chunks)
        await intake.start()
        watcher.send_signal(signal.SIGCONT)
        _, err = await asyncio.wait_for(watcher.communicate(), timeout=120)
        assert watcher.returncode == 0, err.decode()
    finally:
        if watcher.returncode is None:
            watcher.kill()
            await watcher.wait()
        await intake.stop()

    assert sorted(p.name for p in (folder / "done").iterdir()) == sorted(files)
    assert sorted(p.name for p in (folder / "failed").iterdir()) == ["zz.bin", "zz.bin.reason.txt"]
    assert "形式" in (folder / "failed" / "zz.bin.reason.txt").read_text("utf-8")
    for content in files.values():
        document_id = document_id_for(ORG, hashlib.sha256(content).hexdigest())
        assert len(await scanned_events(bus, ORG, document_id)) == 1  # exactly once
        assert await bus.store.get(records.SCAN_KIND, document_id) == content
    events = await read_all(operator.jetstream(), f"document.scanned.{ORG}")
    assert len(events) == len(files)
    assert "山田" not in err.decode() and "zz.bin" not in err.decode()
    await operator.close()
    await server.stop()


VENDOR_EXAMPLE = Path(__file__).parents[2] / "examples" / "hand_in_scan.py"


def vendor_code() -> str:
    text = VENDOR_EXAMPLE.read_text("utf-8")
    return text[text.index("async def hand_in") : text.index("return dict(reply)")]


async def test_the_vendor_example_hands_in_with_plain_nats_py(
    bus: Bus, intake: ScanIntake, tmp_path: Path
) -> None:
    data = png(tmp_path / "vendor.png", seed=3, side=800)  # two chunks and more
    creds = tmp_path / "creds.json"
    creds.write_text(bus.creds(ORG).model_dump_json())
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(VENDOR_EXAMPLE), str(creds), str(tmp_path / "vendor.png"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    reply = json.loads(out)
    assert reply == {
        "status": "accepted",
        "document_id": document_id_for(ORG, hashlib.sha256(data).hexdigest()),
    }
    assert await bus.store.get(records.SCAN_KIND, reply["document_id"]) == data
    readme = (Path(__file__).parents[2] / "README.md").read_text("utf-8")
    assert vendor_code() in readme, "the README's example is not examples/hand_in_scan.py's"
