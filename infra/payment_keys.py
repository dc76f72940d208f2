"""The secrets shared with the payment agent: the webhook signing secret and the API key.

From `[payment_agent]` when set (a real agent issues them); otherwise made once under
`--data/payment_agent` (0600), where the sandbox agent reads the same ones.
"""

from __future__ import annotations

import base64
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from schemas.settings import PaymentAgentSettings


@dataclass(frozen=True)
class AgentSecrets:
    webhook_secret: str  # "whsec_" + base64 (Standard Webhooks)
    api_key: str


def _kept(path: Path, make: str) -> str:
    """The secret kept at `path`, made from `make` if there is none. Processes starting at once
    (workers beside `up`) all get the same one: it appears whole (a hard link of a written
    file) or not at all, so nobody reads it half-written."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(make)
    try:
        os.link(draft, path)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text().strip()
    finally:
        draft.unlink()
    return make


def agent_secrets(settings: PaymentAgentSettings, data_dir: Path) -> AgentSecrets:
    directory = data_dir / "payment_agent"
    secret = settings.webhook_secret or _kept(
        directory / "webhook_secret", "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    )
    api_key = settings.api_key or _kept(directory / "api_key", "sk_" + secrets.token_urlsafe(32))
    return AgentSecrets(secret, api_key)
