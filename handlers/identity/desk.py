"""What the identity room's routes work with, bound to them by the room's `wire`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import aiosqlite
from nats.js import JetStreamContext

from schemas.settings import PasswordSettings


@dataclass(frozen=True)
class AccountDesk:
    """The accounts DB, the session store (`js`), the password policy, and the data directory
    (where the bus users' file of a new organisation is written)."""

    db: aiosqlite.Connection
    js: JetStreamContext
    password: PasswordSettings
    data_dir: Path
