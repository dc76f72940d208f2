"""Scan intake over the bus: MB/s and files/s of 1 MB scans handed in through `scan.submit.<org>`
with scanner credentials (chunked, hashed, stored encrypted, indexed, announced), beside
nats-py's object store `put` of the same files on the same server, in the same run.

The service runs in this process, as it does inside `madoguchi up` or `worker`; the scanner is
a connection of its own. Both read each file from disk; they alternate file by file, so that a
busy machine slows both alike.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import nats

from handlers.ocr.scan_service import ScanIntake
from handlers.ocr.scanner_client import HandIn, ScannerBus, hand_in
from handlers.ocr.uploads import UploadLimits
from handlers.shared.uploads import Limits
from infra.nats_server import EmbeddedNatsServer
from infra.pi_store import open_pi_store
from infra.provisioning import provision_all
from schemas.scan_intake import BusCredentials
from schemas.settings import Settings

Line = Callable[[str, float, str, str, float], None]
SCANS = int(os.environ.get("BENCH_SCANS", "40"))
SCAN_BYTES = 1_000_000
ORG = "bench"


def write_scans(folder: Path) -> list[Path]:
    """Distinct files (the intake would answer a repeat at once), each a PDF by its header."""
    paths = []
    for n in range(SCANS):
        path = folder / f"scan-{n}.pdf"
        head = b"%PDF-1.7\n"
        path.write_bytes(head + os.urandom(SCAN_BYTES - len(head)))
        paths.append(path)
    return paths


async def run(line: Line, root: Path, port: int) -> None:
    server = EmbeddedNatsServer(root, port, orgs=[ORG])
    await server.start()
    operator = await nats.connect(
        server.url, user="operator", password=server.passwords["operator"]
    )
    js = operator.jetstream()
    await provision_all(js, Settings().retention)
    intake = ScanIntake(operator, open_pi_store(js, root), Limits(), UploadLimits())
    await intake.start()
    user = f"scanner-{ORG}"
    creds = BusCredentials(
        url=server.url, user=user, password=server.passwords[user], inbox_prefix=f"_INBOX_{user}"
    )
    scanner = await ScannerBus().connect(creds, [server.url])
    put_seconds = intake_seconds = 0.0
    try:
        bucket = await js.create_object_store("bench_put")
        with tempfile.TemporaryDirectory(dir=root) as folder:
            paths = write_scans(Path(folder))
            for path in paths:
                started = time.perf_counter()
                await bucket.put(path.name, path.read_bytes())
                put_seconds += time.perf_counter() - started
                started = time.perf_counter()
                reply = await hand_in(scanner, path, HandIn(ORG, timeout=60))
                intake_seconds += time.perf_counter() - started
                if reply.status != "accepted":
                    raise RuntimeError(f"a bench scan was {reply.status}: {reply.reason_code}")
    finally:
        await scanner.close()
        await intake.stop()
        await operator.close()
        await server.stop()
    megabytes = SCANS * SCAN_BYTES / 1e6
    line(
        f"scan intake over the bus, {SCANS} x 1 MB",
        megabytes / intake_seconds,
        "MB/s",
        "nats-py object store put",
        megabytes / put_seconds,
    )
    line(
        "scan intake over the bus, files/s",
        SCANS / intake_seconds,
        "files/s",
        "nats-py object store put",
        SCANS / put_seconds,
    )
