"""Key commands: `keys rotate` (a new KEK for new writes), `keys rewrap` (old records onto it)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import KeyNotFoundError, NotFoundError

from events.catalog import ACCESS, BUCKETS, PERSONAL_DATA_KINDS, STREAMS, retention_seconds
from handlers.audit.chain import verify
from handlers.audit.cli import read_chain
from handlers.cli_support import cli_settings, run_with_bus
from handlers.privacy.report import KeyFact, StoreFact, render
from infra.crypto import KeyRing, kek_of, rotate
from infra.kv import keys_matching
from infra.pi_store import open_pi_store
from infra.signing import load_or_create
from schemas.settings import Settings


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


async def _store_facts(js: JetStreamContext, settings: Settings) -> list[StoreFact]:
    facts = []
    specs = [(s.name, "stream", False, s.retention) for s in STREAMS] + [
        (b.stream_name, b.kind, b.personal, b.retention) for b in BUCKETS
    ]
    for name, kind, personal, retention in specs:
        info = await js.stream_info(name)
        facts.append(
            StoreFact(
                name,
                kind,
                personal,
                retention_seconds(retention, settings.retention),
                float(info.config.max_age or 0),
            )
        )
    return facts


async def _key_facts(js: JetStreamContext, ring: KeyRing) -> list[KeyFact]:
    wrapped_by: Counter[str] = Counter()
    for bucket in {kind.key_bucket.name for kind in PERSONAL_DATA_KINDS.values()}:
        kv = await js.key_value(bucket)
        for key in await keys_matching(kv, ">"):
            try:
                entry = await kv.get(key)
            except (KeyNotFoundError, NotFoundError):
                continue  # deleted since (or a deletion marker not yet expired)
            if entry.value:
                wrapped_by[kek_of(entry.value)] += 1
    facts = []
    for kek_id in sorted(ring.keys):
        try:
            created: datetime | None = datetime.strptime(kek_id[:15], "%Y%m%dT%H%M%S").replace(
                tzinfo=UTC
            )
        except ValueError:
            created = None
        facts.append(KeyFact(kek_id, created, kek_id == ring.current, wrapped_by[kek_id]))
    return facts


async def _access_counts(js: JetStreamContext, since: datetime) -> Counter[tuple[str, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    last = (await js.stream_info(ACCESS.name)).state.last_seq
    if not last:
        return counts
    sub = await js.subscribe(
        "access.>",
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.BY_START_TIME,
        config=ConsumerConfig(opt_start_time=since),
    )
    try:
        while True:
            try:
                msg = await sub.next_msg(timeout=2)
            except TimeoutError:
                return counts
            _, event, org = msg.subject.split(".", 2)
            counts[(org, event)] += 1
            if msg.metadata.sequence.stream >= last:
                return counts
    finally:
        await sub.unsubscribe()


@click.command("privacy-report")
@click.option(
    "--days",
    type=click.IntRange(1, 3660),
    default=30,
    show_default=True,
    help="the period the per-org counts cover",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="write to FILE")
@click.pass_obj
def privacy_report(obj: dict[str, Any], days: int, out: Path | None) -> None:
    """A Markdown report on the live deployment for the privacy council."""
    settings = cli_settings(obj)
    data_dir = Path(obj["data"])

    async def work(client: Client) -> int:
        js = client.jetstream()
        now = datetime.now(UTC)
        since = now - timedelta(days=days)
        entries, checkpoints = await read_chain(js)
        verdict = verify(entries, checkpoints, load_or_create(data_dir / "keys").public_key())
        text = render(
            now=now,
            since=since,
            settings=settings,
            stores=await _store_facts(js, settings),
            keys=await _key_facts(js, KeyRing.load(data_dir / "keys")),
            access=await _access_counts(js, since),
            verdict=verdict,
        )
        if out is None:
            click.echo(text, nl=False)
        else:
            out.write_text(text, encoding="utf-8")  # noqa: ASYNC240 - one write at the end
        return 0

    run_with_bus(obj, work)
