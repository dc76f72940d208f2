"""Finding 16 (OCR pool): a task that runs past its time limit has its worker killed and
replaced, so one costly file cannot pin a worker; the pool keeps working afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from infra.ocr.pool import OcrPool, TaskTimedOut, process_pool


async def test_a_task_past_its_time_limit_is_killed_and_the_pool_goes_on() -> None:
    pool = process_pool(
        workers=1, time_limit=8.0
    )  # a fresh worker starts (Tesseract) well within it
    try:
        assert await pool.run(pow, 2, 5) == 32  # the worker is up
        started = time.monotonic()
        with pytest.raises(TaskTimedOut):
            await asyncio.wait_for(pool.run(time.sleep, 600), timeout=60)
        assert time.monotonic() - started < 60
        assert await asyncio.wait_for(pool.run(pow, 3, 3), timeout=60) == 27
    finally:
        pool.close()


async def started(pool: OcrPool) -> None:
    """The worker is up. Its start (a process, Tesseract) counts against the first task's
    short limit here, which a loaded machine can overrun; each overrun starts a fresh worker."""
    for _ in range(5):
        with contextlib.suppress(TaskTimedOut):
            assert await asyncio.wait_for(pool.run(pow, 2, 5), timeout=60) == 32
            return
    raise AssertionError("the worker did not start within the time limit in 5 tries")


async def test_the_time_limit_counts_a_tasks_own_run_not_its_wait_in_the_queue() -> None:
    pool = process_pool(workers=1, time_limit=3.0)
    try:
        await started(pool)
        # Three pages of 1.5 s each on one worker: the last waits 3 s, then runs within its limit.
        pages = [pool.run(time.sleep, 1.5) for _ in range(3)]
        assert await asyncio.wait_for(asyncio.gather(*pages), timeout=60) == [None] * 3
    finally:
        pool.close()
