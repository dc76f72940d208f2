"""`madoguchi watch DIR`: the hot folder of the locked-room scanner (USB -> shared folder).

Every new file in DIR is handed in once, as `scan` does, then moved to `DIR/done/` or to
`DIR/failed/` with `<name>.reason.txt` (UTF-8, the clerk's reason) beside it.

- The folder may be an SMB share, so it is polled: a file counts as complete once its size
  and mtime are unchanged over two polls at least `--settle` seconds apart.
- Restart-safe: the document id is derived from the org and the file's bytes, so handing the
  same file in again is a repeat (same event ids, dropped by the stream); a ledger in
  `DIR/.madoguchi-watch.json` (content key -> document id and state) remembers it past the
  stream's duplicate window, and the document index settles files whose outcome arrived
  while nobody was watching.
- File names may hold personal names: events and logs name the document id only.

Pure decisions (`is_candidate`, `observe`/`is_stable`, `next_step`, `unused_name`, `prune`)
take values and return values; `HotFolder` does the I/O.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path, PurePath
from typing import Any, Literal

import click
from nats.aio.client import Client
from nats.errors import Error as NatsError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from handlers.cli_support import cli_settings, run_with_bus
from handlers.ocr import records
from handlers.ocr.bus import GAVE_UP
from handlers.ocr.cli import OutcomeWaiter, bus_options, operator_org, optional_org
from handlers.ocr.pipeline import limits_from
from handlers.ocr.scanner_client import (
    HandIn,
    NoAnswer,
    ScannerBus,
    file_digest,
    hand_in,
    run_as_scanner,
    scanner_org,
)
from handlers.ocr.submit import submit_scan
from handlers.ocr.uploads import document_id_for as intake_document_id
from handlers.shared.uploads import Limits
from infra.pi_store import open_pi_store
from schemas.events import utc_now
from schemas.ocr import DocumentStatus
from schemas.scan_intake import BusCredentials

LEDGER_NAME = ".madoguchi-watch.json"
DONE, FAILED = "done", "failed"
TEMP_SUFFIXES = (".tmp", ".part", "~")
REASON_SUFFIX = ".reason.txt"
# A scanner PC gives one file this long to be answered, then tries again at the next poll
# (so a long outage never keeps the watcher from stopping when asked).
PER_FILE_TIMEOUT = 60.0

log = logging.getLogger("madoguchi.watch")

State = Literal["submitted", "done", "failed"]
Action = Literal["submit", "wait", "done", "failed"]


# ---------------------------------------------------------------------------------------
# Pure decisions


def is_candidate(name: str) -> bool:
    """Whether a file of this name in DIR is a scan to hand in (not hidden, not a temp)."""
    return not name.startswith(".") and not name.endswith(TEMP_SUFFIXES)


@dataclass(frozen=True)
class Sighting:
    """A file's size and mtime, and when (monotonic seconds) they were first seen so."""

    size: int
    mtime_ns: int
    since: float


def observe(previous: Sighting | None, size: int, mtime_ns: int, now: float) -> Sighting:
    """The sighting after this poll: kept while nothing changed, restarted when it did."""
    if previous is not None and (previous.size, previous.mtime_ns) == (size, mtime_ns):
        return previous
    return Sighting(size, mtime_ns, now)


def is_stable(sighting: Sighting, now: float, settle: float) -> bool:
    """Unchanged over two polls at least `settle` seconds apart (empty files too)."""
    return now > sighting.since and now - sighting.since >= settle


def document_key(org: str, data: bytes) -> str:
    """The ledger key of a file's bytes for an org; its first 32 hex digits are the doc id."""
    return hashlib.sha256(org.encode() + b"\0" + data).hexdigest()


def document_id_for(key: str) -> str:
    return key[:32]


def scanner_key(org: str, sha256: str) -> str:
    """On a scanner PC the ledger key is the id the intake service gives the file."""
    return intake_document_id(org, sha256)


class LedgerEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    document_id: str
    state: State
    reason: str | None = None  # the clerk's reason when failed (written by us, never content)
    at: datetime = Field(default_factory=utc_now)


class Ledger(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    entries: dict[str, LedgerEntry] = Field(default_factory=dict)


def prune(ledger: Ledger, now: datetime, keep: timedelta) -> Ledger:
    """Forget entries older than the OCR retention: their documents are gone everywhere."""
    kept = {key: e for key, e in ledger.entries.items() if now - e.at <= keep}
    return Ledger(entries=kept)


@dataclass(frozen=True)
class Step:
    action: Action
    reason: str | None = None


def needs_index(entry: LedgerEntry | None) -> bool:
    """Whether the document index must be asked (the ledger does not know the outcome)."""
    return entry is None or entry.state == "submitted"


def next_step(entry: LedgerEntry | None, status: DocumentStatus | None) -> Step:
    """What to do with a complete file, given the ledger and the document index.

    Not in the index and not settled in the ledger: hand it in (it never was, or its records
    expired). In the index: wait while queued, else file it by the outcome.
    """
    if entry is not None and entry.state != "submitted":
        return Step(entry.state, entry.reason)
    if status is None:
        return Step("submit")
    if status.status == "queued":
        return Step("wait")
    if status.status == "completed":
        return Step("done")
    return Step("failed", status.reason or GAVE_UP)


def unused_name(name: str, taken: Callable[[str], bool]) -> str:
    """`name`, or `stem (2).ext`, `stem (3).ext`, ... whichever is free first."""
    if not taken(name):
        return name
    path = PurePath(name)
    n = 2
    while taken(candidate := f"{path.stem} ({n}){path.suffix}"):
        n += 1
    return candidate


# ---------------------------------------------------------------------------------------
# The folder


class LedgerError(Exception):
    pass


def load_ledger(path: Path, keep: timedelta) -> Ledger:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Ledger()
    try:
        return prune(Ledger.model_validate_json(raw), utc_now(), keep)
    except ValidationError:
        raise LedgerError(
            f"{path.name} is damaged: move it aside to start afresh (files already handed in"
            " are still recognised for the OCR retention period)"
        ) from None


def save_ledger(path: Path, ledger: Ledger) -> None:
    """Atomically: a temp file beside it, flushed, then renamed over it."""
    temp = path.with_name(path.name + ".tmp")
    with temp.open("wb") as out:
        out.write(ledger.model_dump_json(indent=1).encode())
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, path)


@dataclass(frozen=True)
class WatchOptions:
    org: str
    template_id: str | None
    personal_info: bool
    limits: Limits
    settle: float
    interval: float
    retention: timedelta
    data_dir: Path


class HotFolder:
    """One folder's state: what was seen, what each file's key is, the ledger. How a file is
    handed in (`settle`) depends on who runs it: the operator's host or a scanner PC."""

    def __init__(self, folder: Path, options: WatchOptions) -> None:
        self.folder = folder
        self.options = options
        self.ledger_path = folder / LEDGER_NAME
        self.ledger = load_ledger(self.ledger_path, options.retention)
        self.sightings: dict[str, Sighting] = {}
        self.keys: dict[tuple[str, int, int], str] = {}  # (name, size, mtime) -> content key
        self.unreadable: set[tuple[str, int, int]] = set()
        for sub in (DONE, FAILED):
            (folder / sub).mkdir(exist_ok=True)

    def listing(self) -> dict[str, tuple[int, int]]:
        found = {}
        with os.scandir(self.folder) as entries:
            for entry in entries:
                if is_candidate(entry.name) and entry.is_file(follow_symlinks=False):
                    with contextlib.suppress(FileNotFoundError):
                        stat = entry.stat(follow_symlinks=False)
                        found[entry.name] = (stat.st_size, stat.st_mtime_ns)
        return found

    async def cycle(self, stop: asyncio.Event) -> int:
        """One poll: hand in, file or wait; returns how many files are still to settle."""
        now = time.monotonic()
        present = await asyncio.to_thread(self.listing)
        self.sightings = {
            name: observe(self.sightings.get(name), size, mtime, now)
            for name, (size, mtime) in present.items()
        }
        self.keys = {ident: key for ident, key in self.keys.items() if ident[0] in present}
        remaining = 0
        for name, sighting in sorted(self.sightings.items()):
            ident = (name, sighting.size, sighting.mtime_ns)
            if ident in self.unreadable:
                continue
            if stop.is_set() or not is_stable(sighting, now, self.options.settle):
                remaining += 1
                continue
            try:
                filed = await self.settle(name, ident)
            except (NatsError, TimeoutError, NoAnswer) as exc:  # the bus: again at the next poll
                if self.bus_closed():
                    raise click.ClickException(f"lost the bus ({type(exc).__name__})") from None
                log.warning("the bus did not answer, trying again (%s)", type(exc).__name__)
                filed = False
            except OSError as exc:  # the file: leave it where it is for this run
                self.unreadable.add(ident)
                log.warning("a file was left in place: %s", type(exc).__name__)
                continue
            remaining += not filed
        return remaining

    def bus_closed(self) -> bool:
        raise NotImplementedError

    async def settle(self, name: str, ident: tuple[str, int, int]) -> bool:
        """Take the next step for one complete file; True when it was moved out of DIR."""
        raise NotImplementedError

    def note(self, key: str, state: State, reason: str | None = None) -> None:
        entry = LedgerEntry(document_id=document_id_for(key), state=state, reason=reason)
        self.ledger.entries[key] = entry
        save_ledger(self.ledger_path, self.ledger)

    def move(self, name: str, step: Step) -> None:
        """Into done/ or failed/ under a free name; a failure's reason is written first."""
        target_dir = self.folder / (DONE if step.action == "done" else FAILED)
        target = unused_name(name, lambda n: (target_dir / n).exists())
        if step.action == "failed":
            reason = (step.reason or GAVE_UP) + "\n"
            (target_dir / (target + REASON_SUFFIX)).write_text(reason, encoding="utf-8")
        os.replace(self.folder / name, target_dir / target)


class OperatorFolder(HotFolder):
    """On the operator's host: stores through the PI store and follows the document index."""

    def __init__(self, client: Client, folder: Path, options: WatchOptions) -> None:
        super().__init__(folder, options)
        self.client = client
        self.js = client.jetstream()
        self.store = open_pi_store(self.js, options.data_dir)

    def bus_closed(self) -> bool:
        return self.client.is_closed

    async def _read(self, name: str) -> tuple[str, bytes]:
        data = await asyncio.to_thread((self.folder / name).read_bytes)
        return document_key(self.options.org, data), data

    async def settle(self, name: str, ident: tuple[str, int, int]) -> bool:
        data = None
        if (key := self.keys.get(ident)) is None:
            key, data = await self._read(name)
            self.keys[ident] = key
        entry = self.ledger.entries.get(key)
        document_id = document_id_for(key)
        status = None
        if needs_index(entry):
            status = await records.get_status(self.js, self.options.org, document_id)
        step = next_step(entry, status)
        if step.action == "submit":
            if data is None:
                key, data = await self._read(name)
                self.keys[ident] = key
            await self.submit(key, data)
            return False
        if step.action == "wait":
            if entry is None:  # handed in by an earlier run that stopped before noting it
                self.note(key, "submitted")
            return False
        await asyncio.to_thread(self.move, name, step)
        self.note(key, step.action, step.reason)
        log.info("document %s %s", document_id, step.action)
        return True

    async def submit(self, key: str, data: bytes) -> None:
        options = self.options
        submitted = await submit_scan(
            self.js,
            self.store,
            org=options.org,
            data=data,
            template_id=options.template_id,
            personal_info=options.personal_info,
            source="watch",
            limits=options.limits,
            document_id=document_id_for(key),
        )
        self.note(key, "submitted")
        log.info("document %s submitted", submitted.document_id)


class ScannerFolder(HotFolder):
    """On a scanner PC: hands each file to the intake service with scanner credentials only.
    The service's answer settles the file at once (a scanner may not read results); a file
    handed in again after a restart gets the same answer, so each is handed in once."""

    def __init__(self, bus: ScannerBus, folder: Path, options: WatchOptions) -> None:
        super().__init__(folder, options)
        self.bus = bus

    def bus_closed(self) -> bool:
        return self.bus.client is None or self.bus.client.is_closed

    async def settle(self, name: str, ident: tuple[str, int, int]) -> bool:
        if (key := self.keys.get(ident)) is None:
            sha256, _ = await asyncio.to_thread(file_digest, self.folder / name)
            key = self.keys[ident] = scanner_key(self.options.org, sha256)
        entry = self.ledger.entries.get(key)
        if entry is None or entry.state == "submitted":
            handing = HandIn(
                self.options.org,
                self.options.template_id,
                self.options.personal_info,
                timeout=PER_FILE_TIMEOUT,
            )
            reply = await hand_in(self.bus, self.folder / name, handing)
            state: State = "done" if reply.status == "accepted" else "failed"
            entry = LedgerEntry(document_id=key, state=state, reason=reply.reason)
            self.note(key, entry.state, entry.reason)
        step = Step("done" if entry.state == "done" else "failed", entry.reason)
        await asyncio.to_thread(self.move, name, step)
        log.info("document %s %s", key, step.action)
        return True


async def _pause(seconds: float, *events: asyncio.Event) -> None:
    """Sleep `seconds`, or less if any of `events` is set."""
    waits = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waits:
            task.cancel()


async def watch_folder(
    client: Client, folder: Path, options: WatchOptions, once: bool, timeout: float
) -> int:
    template_id = options.template_id
    if template_id and not await records.load_template(
        client.jetstream(), options.org, template_id
    ):
        raise click.ClickException(f"no template {template_id!r} for org {options.org!r}")
    hot = _opened(lambda: OperatorFolder(client, folder, options))
    waiter = OutcomeWaiter(client, options.org)
    await waiter.start()  # outcomes wake the loop at once instead of at the next poll
    return await poll(hot, once, timeout, waiter.changed)


async def watch_as_scanner(
    bus: ScannerBus, folder: Path, options: WatchOptions, once: bool, timeout: float
) -> int:
    hot = _opened(lambda: ScannerFolder(bus, folder, options))
    return await poll(hot, once, timeout, asyncio.Event())


def _opened(make: Callable[[], HotFolder]) -> HotFolder:
    try:
        return make()
    except LedgerError as exc:
        raise click.ClickException(str(exc)) from None


async def poll(hot: HotFolder, once: bool, timeout: float, wake: asyncio.Event) -> int:
    """Cycle until stopped (SIGINT/SIGTERM) or, with `once`, until DIR has settled."""
    options = hot.options
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    deadline = time.monotonic() + timeout
    log.info("watching for scans of %s%s", options.org, " (once)" if once else "")
    try:
        while not stop.is_set():
            wake.clear()
            remaining = await hot.cycle(stop)
            if once and remaining == 0:
                break
            if once and time.monotonic() > deadline:
                raise click.ClickException(f"{remaining} file(s) not settled after {timeout:.0f}s")
            await _pause(options.interval, stop, wake)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    log.info("stopped")
    return 0


@click.command()
@click.argument(
    "folder",
    metavar="DIR",
    type=click.Path(exists=True, file_okay=False, writable=True, path_type=Path),
)
@click.option("--org", callback=optional_org, help="required without --creds")
@click.option("--template", "template_id", help="the form definition to read fields by")
@click.option("--personal-info", is_flag=True, help="the scans hold personal information")
@click.option("--once", is_flag=True, help="hand in what is there, wait for the outcomes, exit")
@click.option(
    "--settle",
    type=click.FloatRange(min=0),
    default=2.0,
    show_default=True,
    help="seconds a file's size and mtime must stay unchanged before it is handed in",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.05),
    default=1.0,
    show_default=True,
    help="seconds between polls of the folder",
)
@click.option(
    "--timeout", type=float, default=1800.0, show_default=True, help="seconds to wait with --once"
)
@bus_options
@click.pass_obj
def watch(
    obj: dict[str, Any],
    folder: Path,
    org: str | None,
    template_id: str | None,
    personal_info: bool,
    once: bool,
    settle: float,
    interval: float,
    timeout: float,
    creds_file: Path | None,
    nats_url: str | None,
) -> None:
    """Hand in every new file of a hot folder DIR; file it in DIR/done or DIR/failed.

    Runs until Ctrl-C (or SIGTERM); with --once, until what is in DIR now has settled.
    With --creds FILE, as a scanner PC: a file is done once the intake service accepted it.
    """
    settings = cli_settings(obj)
    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    log.setLevel(logging.INFO)
    options = WatchOptions(
        org=org or "",
        template_id=template_id,
        personal_info=personal_info,
        limits=limits_from(settings.ocr),
        settle=settle,
        interval=interval,
        retention=timedelta(seconds=settings.retention.ocr),
        data_dir=Path(obj["data"]),
    )
    if creds_file is not None:

        async def as_scanner(bus: ScannerBus, creds: BusCredentials) -> int:
            mine = replace(options, org=scanner_org(creds, org))
            return await watch_as_scanner(bus, folder, mine, once, timeout)

        run_as_scanner(creds_file, nats_url, as_scanner)
        return
    options = replace(options, org=operator_org(org, nats_url))
    run_with_bus(obj, lambda client: watch_folder(client, folder, options, once, timeout))
