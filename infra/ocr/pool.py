"""Where OCR work runs: a process pool, or its serial twin (one thread) for tests.

Both take the same picklable tasks and return values; workers never touch shared state.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from infra.ocr.worker import default_tessdata, init_worker

T = TypeVar("T")

DEFAULT_LANGUAGES = "jpn"


class OcrPool(Protocol):
    workers: int

    async def run(self, function: Callable[..., T], *args: Any) -> T: ...

    def close(self) -> None: ...


class _ExecutorPool:
    def __init__(self, executor: Executor, workers: int) -> None:
        self._executor = executor
        self.workers = workers

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


def process_pool(
    workers: int | None = None, tessdata: str | None = None, languages: str = DEFAULT_LANGUAGES
) -> OcrPool:
    """`workers` processes (default: one per core), each with its own reused Tesseract.

    Spawned, not forked: a fork of a process running an event loop and threads is unsafe.
    """
    count = workers or os.cpu_count() or 1
    executor = ProcessPoolExecutor(
        max_workers=count,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=init_worker,
        initargs=(tessdata or default_tessdata(), languages),
    )
    return _ExecutorPool(executor, count)


def serial_pool(tessdata: str | None = None, languages: str = DEFAULT_LANGUAGES) -> OcrPool:
    """The same work in one thread of this process: pdfium and Tesseract stay single-threaded."""
    executor = ThreadPoolExecutor(
        max_workers=1, initializer=init_worker, initargs=(tessdata or default_tessdata(), languages)
    )
    return _ExecutorPool(executor, 1)
