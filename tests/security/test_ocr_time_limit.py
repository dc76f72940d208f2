"""Finding 16 (OCR pool): a task that runs past its time limit has its worker killed and
replaced, so one costly file cannot pin a worker; the pool keeps working afterwards."""

from __future__ import annotations

import asyncio
import time

import pytest

from infra.ocr.pool import TaskTimedOut, process_pool


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
