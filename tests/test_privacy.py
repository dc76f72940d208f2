"""The privacy promises, checked on a running deployment: a planted name and number appear
nowhere under --data or in the logs, and after the retention every store has forgotten."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import nats
import pytest
from nats.js.errors import KeyNotFoundError
from PIL import Image, ImageDraw

from events.catalog import BUCKETS
from tests.conftest import free_port
from tests.ocr.corpus import A4_PX, font, mm
from tests.support import eventually, madoguchi

NAME, NUMBER = "窓口花子", "4821-7736-9012"
MADOGUCHI = [sys.executable, "-m", "handlers"]


def planted_page(path: Path) -> Path:
    page = Image.new("L", A4_PX, 255)
    draw = ImageDraw.Draw(page)
    draw.text((mm(20), mm(30)), f"氏名 {NAME}", font=font(5), fill=0)
    draw.text((mm(20), mm(45)), f"番号 {NUMBER}", font=font(5), fill=0)
    page.save(path, dpi=(300, 300))
    return path


async def cli(data: Path, *args: str) -> tuple[int, str, str]:
    return await madoguchi(data, *args)


@asynccontextmanager
async def running(data: Path, log: Path, config: Path | None = None) -> AsyncIterator[str]:
    extra = ["--config", str(config)] if config else []
    with log.open("wb") as sink:
        up = await asyncio.create_subprocess_exec(
            *MADOGUCHI,
            "--data",
            str(data),
            *extra,
            "up",
            "--nats-port",
            str(free_port()),
            "--http-port",
            str(free_port()),
            "--agent-port",  # never the default 8001, which another program may hold
            str(free_port()),
            stdout=sink,
            stderr=sink,
        )

        async def started() -> bool:
            return "Ctrl-C" in log.read_text(errors="replace")  # noqa: ASYNC240 - a small file

        try:  # stopped whatever happens, a slow start included (no server left behind)
            await eventually(started, timeout=60)
            yield (data / "nats" / "url").read_text()
        finally:
            up.send_signal(signal.SIGINT)
            assert await asyncio.wait_for(up.wait(), timeout=60) == 0


def files_holding(root: Path, needles: list[bytes]) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            found += [f"{path}: {needle!r}" for needle in needles if needle in content]
    return found


async def test_a_planted_name_and_number_are_nowhere_at_rest(tmp_path: Path) -> None:
    data, log = tmp_path / "data", tmp_path / "up.log"
    page = planted_page(tmp_path / "申請書.png")
    async with running(data, log):
        code, out, err = await cli(
            data, "scan", str(page), "--org", "shimin", "--personal-info", "--wait", "--json"
        )
        assert code == 0, err
        text = json.loads(out)["pages"][0]["text"]
        assert NAME in text and NUMBER in text  # the OCR did read them: they are stored
    needles = [NAME.encode(), NUMBER.encode(), NAME.encode("utf-16-le")]
    assert files_holding(data, needles) == []
    assert files_holding(tmp_path, needles) == []  # the log of `up` too
    assert NAME not in err


async def test_after_the_retention_every_store_has_forgotten(tmp_path: Path) -> None:
    data, log = tmp_path / "data", tmp_path / "up.log"
    config = tmp_path / "settings.toml"
    config.write_text('[retention]\nocr = "4s"\n', encoding="utf-8")
    page = planted_page(tmp_path / "scan.png")
    async with running(data, log, config) as url:
        code, out, err = await cli(
            data, "--config", str(config), "scan", str(page), "--org", "shimin", "--wait", "--json"
        )
        assert code == 0, err
        document_id = json.loads(out)["document_id"]
        password = json.loads((data / "nats" / "credentials.json").read_text())["operator"]
        client = await nats.connect(url, user="operator", password=password["password"])
        js = client.jetstream()
        ocr_buckets = [b for b in BUCKETS if b.retention == "ocr"]

        index = await js.key_value("documents")

        async def forgotten() -> bool:
            for bucket in ocr_buckets:
                info = await js.stream_info(bucket.stream_name)
                if info.state.bytes > 2000:  # what is left is at most an expiry marker
                    return False
            try:  # the index entry: gone, or only the server's expiry marker (no value)
                return not (await index.get(f"shimin.{document_id}")).value
            except KeyNotFoundError:
                return True

        assert await eventually(forgotten, timeout=60)
        await client.close()
        code, out, _ = await cli(data, "export", "--org", "shimin", "--format", "json")
        assert code == 0 and document_id not in out


async def test_derived_records_go_when_the_scan_goes(app, js) -> None:  # type: ignore[no-untyped-def]
    """The expiry watcher: the scan's key purged (as at expiry) takes the OCR result, its key
    and the index entry with it, though a correction had rewritten the result later."""
    from handlers.ocr import records
    from handlers.ocr.submit import submit_scan
    from handlers.shared.uploads import DEFAULT_LIMITS
    from infra.pi_store import RecordNotFound, open_pi_store

    store = open_pi_store(js, app.data_dir)
    page = planted_page(app.data_dir / "expiry-test.png")
    submitted = await submit_scan(
        js,
        store,
        org="expiry",
        data=page.read_bytes(),
        template_id=None,
        personal_info=True,
        source="cli",
        limits=DEFAULT_LIMITS,
    )
    page.unlink()

    async def read() -> bool:
        status = await records.get_status(js, "expiry", submitted.document_id)
        return status is not None and status.status == "completed"

    assert await eventually(read, timeout=120)
    result = await records.load_result(store, submitted.document_id)
    assert result is not None
    await records.save_result(store, result.model_copy(update={"verified": {"x": "1"}}))
    await store.delete("scan", submitted.document_id)

    async def forgotten() -> bool:
        gone = await records.get_status(js, "expiry", submitted.document_id) is None
        try:
            await store.get("ocr_result", submitted.document_id)
        except RecordNotFound:
            return gone
        return False

    assert await eventually(forgotten, timeout=30)


async def test_a_restart_catches_up_on_scans_that_expired_while_down(js, keyring) -> None:  # type: ignore[no-untyped-def]
    """No process saw the scan's key expire: the start-up sweep removes what derives from it."""
    from events.envelope import new_event_id
    from handlers.ocr import records
    from handlers.ocr.expiry import sweep_orphans
    from infra.pi_store import PersonalDataStore, RecordNotFound
    from schemas.ocr import DocumentResult, DocumentStatus

    store = PersonalDataStore(js, keyring)
    orphan, kept, refused = new_event_id(), new_event_id(), new_event_id()
    for document_id, status in ((orphan, "completed"), (kept, "completed"), (refused, "rejected")):
        await records.save_result(store, DocumentResult(document_id=document_id, status=status))
        await records.put_status(
            js, DocumentStatus(document_id=document_id, org="sweep", status=status)
        )
    await store.put("scan", kept, b"still within its retention")
    assert await sweep_orphans(js, store) >= 1
    assert await records.get_status(js, "sweep", orphan) is None
    with pytest.raises(RecordNotFound):
        await store.get("ocr_result", orphan)
    assert await records.get_status(js, "sweep", kept) is not None
    assert await records.get_status(js, "sweep", refused) is not None  # nothing was stored
