"""The hot folder (`madoguchi watch DIR`): the pure decisions first, then the command as the
locked room's scanner PC runs it, against the running service."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from nats.js import JetStreamContext

from events.catalog import DOCUMENTS
from handlers.ocr import records
from handlers.ocr.bus import GAVE_UP
from handlers.ocr.submit import submit_scan
from handlers.ocr.watch import (
    LEDGER_NAME,
    Ledger,
    LedgerEntry,
    LedgerError,
    Sighting,
    Step,
    document_id_for,
    document_key,
    is_candidate,
    is_stable,
    load_ledger,
    needs_index,
    next_step,
    observe,
    prune,
    save_ledger,
    unused_name,
)
from handlers.shared.uploads import DEFAULT_LIMITS
from infra.pi_store import open_pi_store
from schemas.events import utc_now
from schemas.ocr import DocumentStatus
from tests.conftest import AppFixture
from tests.ocr.corpus import text_page
from tests.ocr.test_intake import random_bytes
from tests.ocr.test_scan_e2e import cli
from tests.support import eventually, subject_counts

# A file name that is a person's name: it must never reach a log line or an event.
PERSONAL_NAME = "山田太郎_住民票.png"
FAST = ("--settle", "0.3", "--interval", "0.1")


# ---------------------------------------------------------------------------------------
# Pure decisions


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("scan001.pdf", True),
        (PERSONAL_NAME, True),
        ("noext", True),
        (".hidden.png", False),
        (LEDGER_NAME, False),
        (LEDGER_NAME + ".tmp", False),
        ("scan.pdf.tmp", False),
        ("scan.pdf.part", False),
        ("scan.pdf~", False),
    ],
)
def test_which_names_are_scans(name: str, expected: bool) -> None:
    assert is_candidate(name) is expected


def test_a_file_is_complete_once_unchanged_for_the_settle_time() -> None:
    first = observe(None, 100, 1, now=10.0)
    assert not is_stable(first, 10.0, settle=2.0)  # one poll is never enough
    assert observe(first, 100, 1, now=11.0) is first
    assert not is_stable(first, 11.0, settle=2.0)
    assert is_stable(observe(first, 100, 1, now=12.0), 12.0, settle=2.0)

    grown = observe(first, 200, 1, now=12.0)  # still being written: the clock restarts
    assert grown == Sighting(200, 1, 12.0) and not is_stable(grown, 12.0, 2.0)
    touched = observe(grown, 200, 2, now=13.0)  # same size, rewritten
    assert touched.since == 13.0 and not is_stable(touched, 14.0, 2.0)
    assert is_stable(touched, 15.0, 2.0)

    empty = observe(None, 0, 5, now=1.0)  # an empty file is handed in too (and refused)
    assert is_stable(observe(empty, 0, 5, now=3.5), 3.5, 2.0)
    # --settle 0 still takes two polls
    assert not is_stable(empty, 1.0, 0.0) and is_stable(empty, 1.1, 0.0)


def _status(state: str, reason: str | None = None) -> DocumentStatus:
    return DocumentStatus.model_validate(
        {"document_id": "d" * 32, "org": "watch-u", "status": state, "reason": reason}
    )


def _entry(state: str, reason: str | None = None) -> LedgerEntry:
    return LedgerEntry.model_validate({"document_id": "d" * 32, "state": state, "reason": reason})


@pytest.mark.parametrize(
    ("entry", "status", "expected"),
    [
        (None, None, Step("submit")),
        (None, _status("queued"), Step("wait")),  # handed in before a crash, not noted
        (None, _status("completed"), Step("done")),
        (None, _status("rejected", "空です"), Step("failed", "空です")),
        (_entry("submitted"), None, Step("submit")),  # its records expired: hand in again
        (_entry("submitted"), _status("queued"), Step("wait")),
        (_entry("submitted"), _status("completed"), Step("done")),  # outcome missed
        (_entry("submitted"), _status("failed"), Step("failed", GAVE_UP)),
        (_entry("done"), None, Step("done")),  # a copy put back after the stream window
        (_entry("failed", "壊れています"), None, Step("failed", "壊れています")),
    ],
)
def test_what_to_do_with_a_complete_file(
    entry: LedgerEntry | None, status: DocumentStatus | None, expected: Step
) -> None:
    assert next_step(entry, status) == expected
    assert needs_index(entry) is (entry is None or entry.state == "submitted")


def test_a_settled_file_gets_a_free_name_in_done_or_failed() -> None:
    taken = {"a.png", "a (2).png", "noext"}
    assert unused_name("b.png", taken.__contains__) == "b.png"
    assert unused_name("a.png", taken.__contains__) == "a (3).png"
    assert unused_name("noext", taken.__contains__) == "noext (2)"


def test_the_document_id_depends_on_the_bytes_and_the_org() -> None:
    key = document_key("watch-u", b"scan")
    assert key == document_key("watch-u", b"scan") and len(document_id_for(key)) == 32
    assert key != document_key("watch-v", b"scan") and key != document_key("watch-u", b"scan2")


def test_the_ledger_survives_a_restart_and_forgets_after_the_retention(tmp_path: Path) -> None:
    path = tmp_path / LEDGER_NAME
    assert load_ledger(path, timedelta(days=5)) == Ledger()
    old = LedgerEntry(document_id="o" * 32, state="done", at=utc_now() - timedelta(days=6))
    new = _entry("failed", "理由")
    save_ledger(path, Ledger(entries={"old": old, "new": new}))
    assert not (tmp_path / (LEDGER_NAME + ".tmp")).exists()
    assert load_ledger(path, timedelta(days=5)).entries == {"new": new}
    assert prune(Ledger(entries={"old": old}), utc_now(), timedelta(days=7)).entries == {"old": old}
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(LedgerError, match="damaged"):
        load_ledger(path, timedelta(days=5))


# ---------------------------------------------------------------------------------------
# The command against the running service


def good_scan(path: Path, seed: int) -> bytes:
    text_page(seed, lines=2).image.save(path, dpi=(300, 300))
    return path.read_bytes()


async def scanned(js: JetStreamContext, org: str) -> int:
    counts = await subject_counts(js, DOCUMENTS.name, f"document.scanned.{org}")
    return counts.get(f"document.scanned.{org}", 0)


def ledger_of(folder: Path) -> dict[str, dict[str, str]]:
    entries: dict[str, dict[str, str]] = json.loads((folder / LEDGER_NAME).read_text("utf-8"))[
        "entries"
    ]
    return entries


def left_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file())


async def test_good_and_bad_files_end_in_done_and_failed_with_a_reason(
    app: AppFixture, tmp_path: Path, js: JetStreamContext
) -> None:
    org = "watch-a"
    good = good_scan(tmp_path / PERSONAL_NAME, seed=301)
    (tmp_path / "empty.pdf").write_bytes(b"")
    (tmp_path / "noise.bin").write_bytes(random_bytes(3000))
    (tmp_path / ".hidden.png").write_bytes(good)
    (tmp_path / "copying.png.part").write_bytes(good[:100])

    code, out, err = await cli(app, "watch", str(tmp_path), "--org", org, "--once", *FAST)
    assert code == 0, err

    assert (tmp_path / "done" / PERSONAL_NAME).read_bytes() == good
    assert sorted(p.name for p in (tmp_path / "done").iterdir()) == [PERSONAL_NAME]
    failed = tmp_path / "failed"
    assert sorted(p.name for p in failed.iterdir()) == [
        "empty.pdf",
        "empty.pdf.reason.txt",
        "noise.bin",
        "noise.bin.reason.txt",
    ]
    assert "空" in (failed / "empty.pdf.reason.txt").read_text("utf-8")
    assert "形式" in (failed / "noise.bin.reason.txt").read_text("utf-8")
    # hidden and temporary files are not touched; only the ledger was added
    assert left_in(tmp_path) == sorted([".hidden.png", "copying.png.part", LEDGER_NAME])

    entries = ledger_of(tmp_path)
    assert sorted(e["state"] for e in entries.values()) == ["done", "failed", "failed"]
    for entry in entries.values():
        status = await records.get_status(js, org, entry["document_id"])
        assert status is not None and status.status != "queued"
        assert entry["document_id"] in err  # logs name the document ...
    assert "山田" not in err + out and "empty" not in err and "noise" not in err  # ... only
    assert await scanned(js, org) == 1  # refused files never become a scan to read


async def test_a_file_written_slowly_is_handed_in_once_complete(
    app: AppFixture, tmp_path: Path, js: JetStreamContext
) -> None:
    org = "watch-b"
    source = tmp_path / "source"
    source.mkdir()
    data = good_scan(source / "page.png", seed=302)
    folder = tmp_path / "hot"
    folder.mkdir()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "handlers",
        "--data",
        str(app.data_dir),
        "watch",
        str(folder),
        "--org",
        org,
        "--settle",
        "1.0",
        "--interval",
        "0.1",
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    try:
        seen = b""
        while b"watching" not in seen:  # signal handlers are in place from here on
            line = await asyncio.wait_for(process.stderr.readline(), timeout=20)
            assert line, "watch exited before it started"
            seen += line

        # A slow copy: four parts, 0.4 s apart, 1.2 s in all, longer than --settle.
        # (These sleeps pace the writer; they do not wait for the watcher.)
        target = folder / PERSONAL_NAME
        parts = [data[i * len(data) // 4 : (i + 1) * len(data) // 4] for i in range(4)]
        with target.open("wb") as out:
            for n, part in enumerate(parts):
                out.write(part)
                out.flush()
                if n < len(parts) - 1:
                    await asyncio.sleep(0.4)

        done = folder / "done" / PERSONAL_NAME
        await eventually(lambda: asyncio.to_thread(done.exists), timeout=25)
        assert done.read_bytes() == data
        (entry,) = ledger_of(folder).values()
        status = await records.get_status(js, org, entry["document_id"])
        assert status is not None and status.status == "completed"
        assert await scanned(js, org) == 1
    finally:
        process.send_signal(signal.SIGINT)
        _, rest = await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode == 0, (seen + rest).decode()
    logs = (seen + rest).decode()
    assert "stopped" in logs and "山田" not in logs


async def test_a_copy_put_back_after_a_restart_is_not_handed_in_again(
    app: AppFixture, tmp_path: Path, js: JetStreamContext
) -> None:
    org = "watch-c"
    data = good_scan(tmp_path / "scan.png", seed=303)
    code, _, err = await cli(app, "watch", str(tmp_path), "--org", org, "--once", *FAST)
    assert code == 0, err
    assert await scanned(js, org) == 1

    (tmp_path / "scan.png").write_bytes(data)  # the clerk copies the USB stick again
    code, _, err = await cli(app, "watch", str(tmp_path), "--org", org, "--once", *FAST)
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "done").iterdir()) == ["scan (2).png", "scan.png"]
    assert (tmp_path / "done" / "scan (2).png").read_bytes() == data
    assert left_in(tmp_path) == [LEDGER_NAME]
    (entry,) = ledger_of(tmp_path).values()
    assert entry["state"] == "done"
    assert await scanned(js, org) == 1  # still one document


async def test_an_outcome_that_arrived_while_nobody_watched_settles_the_file(
    app: AppFixture, tmp_path: Path, js: JetStreamContext
) -> None:
    """A watcher handed the file in and stopped before it noted anything (no ledger entry);
    the outcome came meanwhile. The next run files it without handing it in again."""
    org = "watch-d"
    data = good_scan(tmp_path / "scan.png", seed=304)
    document_id = document_id_for(document_key(org, data))
    await submit_scan(
        js,
        open_pi_store(js, app.data_dir),
        org=org,
        data=data,
        template_id=None,
        personal_info=True,
        source="watch",
        limits=DEFAULT_LIMITS,
        document_id=document_id,
    )

    async def settled() -> bool:
        status = await records.get_status(js, org, document_id)
        return status is not None and status.status == "completed"

    await eventually(settled, timeout=25)
    code, _, err = await cli(app, "watch", str(tmp_path), "--org", org, "--once", *FAST)
    assert code == 0, err
    assert (tmp_path / "done" / "scan.png").exists()
    assert ledger_of(tmp_path)[document_key(org, data)]["state"] == "done"
    assert await scanned(js, org) == 1


async def test_an_unknown_template_stops_it_before_anything_moves(
    app: AppFixture, tmp_path: Path
) -> None:
    good_scan(tmp_path / "scan.png", seed=305)
    code, _, err = await cli(
        app, "watch", str(tmp_path), "--org", "watch-e", "--template", "nope-v9", "--once"
    )
    assert code != 0 and "nope-v9" in err and len(err.strip().splitlines()) == 1
    assert left_in(tmp_path) == ["scan.png"]
