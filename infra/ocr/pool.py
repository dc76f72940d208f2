"""Where OCR work runs: a process pool, or its serial twin (one thread) for tests.

Both take the same picklable tasks and return values; workers never touch shared state.
A task of the process pool that runs past its time limit (a PDF cheap to probe but costly to
render) has its worker killed: the pool is replaced and the task fails with TaskTimedOut.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from infra.ocr.tesseract import default_tessdata, init_worker

T = TypeVar("T")

DEFAULT_LANGUAGES = "jpn"
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


PAGE_TIME_LIMIT = 120.0  # seconds for one task (a page takes a few seconds on one core)


class TaskTimedOut(Exception):
    """A task ran past the pool's time limit; its worker process was killed and replaced."""


class OcrPool(Protocol):
    workers: int

    async def run(self, function: Callable[..., T], *args: Any) -> T: ...

    def close(self) -> None: ...


class _ExecutorPool:
    def __init__(
        self, make: Callable[[], Executor], workers: int, time_limit: float | None = None
    ) -> None:
        self._make = make
        self._executor = make()
        self.workers = workers
        self.time_limit = time_limit
        # A task is handed to the executor only when a worker is free, so its time limit
        # counts its own run, not the wait behind a long document's other pages (a 100-page
        # PDF on a busy machine had its last pages killed while still queued).
        self._free = asyncio.Semaphore(workers)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        async with self._free:
            executor = self._executor
            future = asyncio.get_running_loop().run_in_executor(executor, function, *args)
            if self.time_limit is None:
                return await future
            try:
                return await asyncio.wait_for(future, self.time_limit)
            except TimeoutError:
                self._replace(executor)
                raise TaskTimedOut(
                    f"{getattr(function, '__name__', 'task')}: over {self.time_limit:.0f}s"
                ) from None

    def _replace(self, executor: Executor) -> None:
        """Kill the workers of `executor` (a C call cannot be interrupted otherwise) and carry on
        with a fresh pool; the tasks still on the old one fail (BrokenProcessPool) and are
        retried by whoever asked."""
        if executor is not self._executor:
            return  # another task's timeout replaced it already
        self._executor = self._make()
        for process in list(getattr(executor, "_processes", {}).values()):
            process.kill()
        executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


def process_pool(
    workers: int | None = None,
    tessdata: str | None = None,
    languages: str = DEFAULT_LANGUAGES,
    time_limit: float | None = PAGE_TIME_LIMIT,
) -> OcrPool:
    """`workers` processes (default: one per core), each with its own reused Tesseract.

    Spawned, not forked: a fork of a process running an event loop and threads is unsafe.
    """
    count = workers or os.cpu_count() or 1
    # One BLAS thread per worker, read by numpy when a spawned worker imports it: the pool is
    # the parallelism (the hand model's products ran 4x slower with a thread per core).
    for variable in BLAS_THREAD_VARIABLES:
        os.environ.setdefault(variable, "1")

    def make() -> Executor:
        return ProcessPoolExecutor(
            max_workers=count,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=init_worker,
            initargs=(tessdata or default_tessdata(), languages),
        )

    return _ExecutorPool(make, count, time_limit)


def serial_pool(tessdata: str | None = None, languages: str = DEFAULT_LANGUAGES) -> OcrPool:
    """The same work in one thread of this process: pdfium and Tesseract stay single-threaded."""

    def make() -> Executor:
        return ThreadPoolExecutor(
            max_workers=1,
            initializer=init_worker,
            initargs=(tessdata or default_tessdata(), languages),
        )

    return _ExecutorPool(make, 1)  # a thread cannot be killed: no time limit
