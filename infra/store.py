"""The JetStream store's room: how full it is (for /metrics and /healthz), and a write it refused
told apart from other errors, so that people get one line instead of a traceback."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.errors import APIError

# JetStream's "insufficient resources" (the server's max_file_store or the disk is reached) and
# "insufficient storage resources available" (a stream's reservation does not fit).
STORE_FULL_CODES = frozenset({10023, 10047})
STORE_FULL_LINE = (
    "保存領域がいっぱいのため保存できませんでした。管理者に連絡してください。"
    " / The store is full: nothing could be saved. Tell the administrator."
)
# The embedded server's limit when none is configured: like nats-server's own default (three
# quarters of the free disk), plus what the store already holds, so restarts do not shrink it.
DEFAULT_SHARE_OF_FREE_DISK = 0.75
# /healthz stays degraded this long after a refused write (another write may not come soon).
REFUSAL_REMEMBERED_SECONDS = 60.0
# ... and while the store is this full: the next large write will not fit.
DEGRADED_AT = 0.98


def is_store_full(exc: BaseException) -> bool:
    if not isinstance(exc, APIError):
        return False
    return exc.err_code in STORE_FULL_CODES or "insufficient" in (exc.description or "")


class StoreFull(Exception):
    """A write the store refused: its message is STORE_FULL_LINE, fit to show anyone."""

    def __init__(self) -> None:
        super().__init__(STORE_FULL_LINE)


@dataclass(frozen=True)
class StoreUsage:
    used: int  # bytes of JetStream file storage in use by the account
    reserved: int  # bytes reserved by streams with a size limit
    limit: int | None  # the most it may use, when known

    @property
    def share(self) -> float | None:
        return self.used / self.limit if self.limit else None


def store_usage(account_info: dict[str, Any], embedded_limit: int | None) -> StoreUsage:
    """From the server's `$JS.API.INFO` answer: the account's limit if it has one, else the
    limit madoguchi gave the embedded server (None with an outside server without limits)."""
    account_limit = int(account_info.get("limits", {}).get("max_storage", -1))
    return StoreUsage(
        used=int(account_info.get("storage", 0)),
        reserved=int(account_info.get("reserved_storage", 0)),
        limit=account_limit if account_limit > 0 else embedded_limit,
    )


def default_store_limit(store_dir: Path) -> int:
    held = sum(f.stat().st_size for f in store_dir.rglob("*") if f.is_file())
    return held + int(shutil.disk_usage(store_dir).free * DEFAULT_SHARE_OF_FREE_DISK)


class RefusalMemory:
    """When this process last had a write refused for lack of room."""

    def __init__(self) -> None:
        self.at: float | None = None

    def note(self) -> None:
        self.at = time.monotonic()

    def recent(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        return self.at is not None and now - self.at < REFUSAL_REMEMBERED_SECONDS


REFUSALS = RefusalMemory()
# Core NATS, not JetStream: saying that the store is full must not need room in it. The process
# that serves /healthz hears the refusals of every other (commands, workers).
REFUSED_SUBJECT = "_madoguchi.store.refused"


async def announce_refusal(nc: Client) -> None:
    REFUSALS.note()
    with contextlib.suppress(Exception):  # the refusal itself is what the caller reports
        await nc.publish(REFUSED_SUBJECT, b"")
        await nc.flush(timeout=1)


async def hear_refusals(nc: Client, stop: asyncio.Event | None = None) -> None:
    """Note every refusal announced on the bus, until `stop` (or cancelled)."""

    async def heard(_msg: Msg) -> None:
        REFUSALS.note()

    subscription = await nc.subscribe(REFUSED_SUBJECT, cb=heard)
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        with contextlib.suppress(Exception):
            await subscription.unsubscribe()


def store_degraded(usage: StoreUsage | None, refused_recently: bool) -> bool:
    share = usage.share if usage is not None else None
    return refused_recently or (share is not None and share >= DEGRADED_AT)
