"""Real madoguchi processes for the scale-out and chaos tests, and what they need: a server of
the test's own, small scans to read, the OCR outcomes on the bus.

A worker runs as an operator starts one on another machine (`madoguchi --data DIR worker
--nats-url URL --only ocr`), with the same `--data` files (credentials, keys), in a process group
of its own so that a test can kill it and its OCR processes at once, as a crash would.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import signal
import sys
from collections import Counter
from functools import cache
from pathlib import Path

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from events.catalog import event_spec
from handlers.ocr.pipeline import limits_from
from handlers.ocr.submit import submit_scan
from infra.pi_store import open_pi_store
from schemas.events import DocumentScanned
from schemas.settings import Settings
from tests.ocr.corpus import text_page
from tests.support import read_all

REPO = Path(__file__).resolve().parent.parent
OCR_DURABLE = "ocr"  # the OCR room's shared consumer (handlers/ocr/bus.py)
# One OCR process per worker: on a two-core machine two workers then use a core each.
WORKER_CONFIG = "[ocr]\nworkers = 1\n"


@cache
def small_page(seed: int) -> bytes:
    """A three-line typed page, A4 at 300 dpi, as PNG: about half a second of OCR."""
    buffer = io.BytesIO()
    text_page(seed, lines=3).image.save(buffer, format="PNG", dpi=(300, 300))
    return buffer.getvalue()


async def submit_pages(
    js: JetStreamContext,
    data_dir: Path,
    org: str,
    count: int,
    seed: int = 1,
    document_ids: list[str] | None = None,
) -> list[str]:
    """Hand in `count` scans as a scanner PC does; their document ids, in order (`document_ids`:
    these, so that handing them in again is a repeat)."""
    store = open_pi_store(js, data_dir)
    limits = limits_from(Settings().ocr)
    ids = []
    for n in range(count):
        submitted = await submit_scan(
            js,
            store,
            org=org,
            data=small_page(1 + (seed + n) % 3),
            template_id=None,
            personal_info=False,
            source="scanner",
            limits=limits,
            document_id=document_ids[n] if document_ids else None,
        )
        ids.append(submitted.document_id)
    return ids


async def outcomes(js: JetStreamContext, org: str) -> dict[str, Counter[str]]:
    """How often each outcome event is stored, per document: {subject: {document_id: n}}."""
    found: dict[str, Counter[str]] = {}
    for subject in ("ocr.completed", "ocr.failed", "document.rejected"):
        bodies = await read_all(js, f"{subject}.{org}")
        found[subject] = Counter(json.loads(body)["document_id"] for body in bodies)
    return found


async def ocr_consumer_with_ack_wait(js: JetStreamContext, ack_wait: float) -> None:
    """Create the OCR room's durable consumer before any worker does, with a short ack wait
    (the default is 30 s): workers bind to an existing consumer as it is. Everything else is
    as `infra.bus.durable_subscriber` makes it."""
    spec = event_spec(DocumentScanned)
    await js.add_consumer(
        spec.stream,
        ConsumerConfig(
            durable_name=OCR_DURABLE,
            filter_subject=spec.all_orgs,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=ack_wait,
            max_deliver=-1,
            deliver_policy=DeliverPolicy.ALL,
        ),
    )


def children(pid: int) -> list[int]:
    """The processes `pid` started (a worker starts its OCR processes on its first scan)."""
    found: list[int] = []
    with contextlib.suppress(FileNotFoundError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(FileNotFoundError):
                found += [int(child) for child in (task / "children").read_text().split()]
    return found


def is_ocr_process(pid: int) -> bool:
    """A worker process of the OCR pool (spawned: `... spawn_main(...)`)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False
    return b"spawn_main" in command


def rss_bytes(pid: int) -> int:
    for entry in Path(f"/proc/{pid}/status").read_text().splitlines():
        if entry.startswith("VmRSS:"):
            return int(entry.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for process {pid}")


class Worker:
    """`madoguchi worker --only ocr` in a process group of its own."""

    def __init__(
        self, data_dir: Path, urls: list[str], name: str = "worker", metrics_port: int | None = None
    ) -> None:
        self.data_dir = data_dir
        self.urls = urls
        self.metrics_port = metrics_port
        self.log = data_dir / f"{name}.log"
        self.process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self, timeout: float = 60.0) -> Worker:
        config = self.data_dir / "worker.toml"
        config.write_text(WORKER_CONFIG)
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "handlers",
                "--data",
                str(self.data_dir),
                "--config",
                str(config),
                "worker",
                "--nats-url",
                ",".join(self.urls),
                "--only",
                "ocr",
                *(["--metrics-port", str(self.metrics_port)] if self.metrics_port else []),
                stdout=asyncio.subprocess.PIPE,
                stderr=log,
                start_new_session=True,
                cwd=REPO,
            )
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        if not line.startswith(b"worker running"):
            await self.process.wait()
            said = self.log.read_text(errors="replace").strip().splitlines()[-5:]
            raise AssertionError(f"worker did not start: {line!r}; its log ends: {said}")
        return self

    def has_read(self) -> bool:
        """True once it read a scan: its OCR processes start on the first one. (Other
        children, such as multiprocessing's resource tracker, start with the pool.)"""
        return any(is_ocr_process(child) for child in children(self.pid))

    async def crash(self) -> None:
        """SIGKILL to the worker and its OCR processes: no clean-up, no nak, no goodbye."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        await self.process.wait()

    async def stop(self, timeout: float = 30.0) -> int:
        """Ctrl-C; the exit code."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                os.killpg(self.process.pid, signal.SIGKILL)
                await self.process.wait()
        return self.process.returncode or 0
