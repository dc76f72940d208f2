"""Key commands: `keys rotate` (a new KEK for new writes), `keys rewrap` (old records onto it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from nats.aio.client import Client

from handlers.ocr.cli import run_with_bus
from infra.crypto import rotate
from infra.pi_store import open_pi_store


@click.group()
def keys() -> None:
    """Key-encryption keys of the personal-data store (under --data/keys)."""


@keys.command("rotate")
@click.pass_obj
def keys_rotate(obj: dict[str, Any]) -> None:
    """Start a new key-encryption key; records written before still open."""
    kek_id = rotate(Path(obj["data"]) / "keys")
    click.echo(f"new key-encryption key {kek_id}; run `madoguchi keys rewrap` to move old records")


@keys.command("rewrap")
@click.pass_obj
def keys_rewrap(obj: dict[str, Any]) -> None:
    """Wrap every live data key with the current key-encryption key."""

    async def work(client: Client) -> int:
        store = open_pi_store(client.jetstream(), Path(obj["data"]))
        rewrapped, unreadable = await store.rewrap()
        click.echo(f"rewrapped {rewrapped} data keys; {unreadable} under keys no longer held")
        return 0

    run_with_bus(obj, work)
