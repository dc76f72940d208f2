"""Sign-in under abuse: how many password hashes run at once, per address and in all, how
many failures an address may make, and lockouts of logins that do not exist.

scrypt costs ~128 MiB and half a second of CPU per verification: unbounded, a flood of
sign-ins starves real ones. A caller past a bound is told at once (429) instead of queueing.
Plain values and clocks passed in; one instance lives in the process (the web app is one
process), created with the app.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict, defaultdict, deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from handlers.identity.policy import after_failure, locked

HASH_SLOTS = 4  # verifications at once (4 x 128 MiB)
HASH_QUEUE = 8  # waiting for a slot; past that, 429 at once
PER_ADDRESS_IN_FLIGHT = 2  # sign-ins of one address being verified at once
ADDRESS_FAILURES = 50  # failed sign-ins of one address ...
ADDRESS_WINDOW = timedelta(minutes=10)  # ... within this window, then 429
MAX_PASSWORD = 1024  # characters at sign-in (the policy allows 256 when choosing one)
MAX_LOGIN = 200
PHANTOMS = 10_000  # unknown logins remembered for their lockout


class Busy(Exception):
    """Too many sign-ins at once (overall or from this address), or too many failures."""


@dataclass
class SignInThrottle:
    slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(HASH_SLOTS))
    waiting: int = 0
    in_flight: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    failures: defaultdict[str, deque[datetime]] = field(default_factory=lambda: defaultdict(deque))
    # Unknown logins lock like real ones, so a lock never tells that an account exists.
    phantoms: OrderedDict[str, tuple[int, datetime | None]] = field(default_factory=OrderedDict)

    def refuse_address(self, address: str, now: datetime) -> bool:
        """True when `address` has failed too often lately."""
        recent = self.failures[address]
        while recent and now - recent[0] > ADDRESS_WINDOW:
            recent.popleft()
        if not recent:
            del self.failures[address]
            return False
        return len(recent) >= ADDRESS_FAILURES

    def failed(self, address: str, now: datetime) -> None:
        self.failures[address].append(now)

    @contextlib.asynccontextmanager
    async def hashing(self, address: str) -> AsyncIterator[None]:
        """A slot to verify a password in; Busy at once past the bounds."""
        if self.in_flight[address] >= PER_ADDRESS_IN_FLIGHT:
            raise Busy
        if self.slots.locked() and self.waiting >= HASH_QUEUE:
            raise Busy
        self.in_flight[address] += 1
        try:
            self.waiting += 1
            try:
                await self.slots.acquire()
            finally:
                self.waiting -= 1
            try:
                yield
            finally:
                self.slots.release()
        finally:
            self.in_flight[address] -= 1
            if not self.in_flight[address]:
                del self.in_flight[address]

    def phantom_locked(self, login: str, now: datetime) -> bool:
        entry = self.phantoms.get(login)
        return entry is not None and locked(entry[1], now)

    def phantom_failed(self, login: str, threshold: int, now: datetime) -> None:
        count, until = self.phantoms.pop(login, (0, None))
        if locked(until, now):
            self.phantoms[login] = (count + 1, until)
        else:
            self.phantoms[login] = after_failure(count, until, threshold, now)
        while len(self.phantoms) > PHANTOMS:
            self.phantoms.popitem(last=False)
