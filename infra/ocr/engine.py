"""The parent side of OCR: stage a scan where workers can open it, probe it, read its pages.

A scan is staged as a private file (0600 in a 0700 directory, in RAM under /dev/shm when the
machine has it) for as long as its pages are being read, then deleted: workers open it by path
and render one page each, instead of each receiving the whole document.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from infra.ocr.pool import OcrPool
from infra.ocr.probe import FileFacts
from infra.ocr.readings import PageReading, PageTask
from infra.ocr.worker import page_preview, probe_file, read_page

SCRATCH_PREFIX = "madoguchi-ocr-"
PageProgress = Callable[[int, int], Awaitable[None]]


def scratch_root() -> Path:
    shm = Path("/dev/shm")  # noqa: S108 - a private 0700 directory is made inside it
    return shm if shm.is_dir() and os.access(shm, os.W_OK) else Path(tempfile.gettempdir())


def sweep_stale_scratch(root: Path) -> int:
    """Remove scratch directories left by processes that died (their pid is gone)."""
    removed = 0
    for path in root.glob(f"{SCRATCH_PREFIX}*"):
        pid = path.name.removeprefix(SCRATCH_PREFIX).split("-")[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


class OcrEngine:
    def __init__(self, pool: OcrPool, root: Path | None = None) -> None:
        self.pool = pool
        root = root or scratch_root()
        sweep_stale_scratch(root)
        self.scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=root))
        os.chmod(self.scratch, 0o700)

    @asynccontextmanager
    async def staged(self, data: bytes) -> AsyncIterator[str]:
        path = self.scratch / uuid.uuid4().hex
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            yield str(path)
        finally:
            path.unlink(missing_ok=True)

    async def probe(self, path: str, kind: str) -> FileFacts:
        facts: FileFacts = await self.pool.run(probe_file, path, kind)
        return facts

    async def preview(self, data: bytes, kind: str, index: int, width: int = 1000) -> bytes:
        """One page of a scan as a PNG for the staff's verification screen."""
        async with self.staged(data) as path:
            png: bytes = await self.pool.run(page_preview, path, kind, index, width)
        return png

    async def read_pages(
        self, tasks: Sequence[PageTask], progress: PageProgress | None = None
    ) -> list[PageReading]:
        """Every page task at once: the pool spreads one document's pages over all workers.
        `progress(pages_read, pages_total)` is awaited as each page is done, in any order."""
        done = 0

        async def one(task: PageTask) -> PageReading:
            nonlocal done
            reading: PageReading = await self.pool.run(read_page, task)
            done += 1
            if progress is not None:
                await progress(done, len(tasks))
            return reading

        return list(await asyncio.gather(*(one(task) for task in tasks)))

    def close(self) -> None:
        self.pool.close()
        shutil.rmtree(self.scratch, ignore_errors=True)
