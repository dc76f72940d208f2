"""`madoguchi dlq list|replay`: inspect dead letters, and send them back after a fix.

A dead letter (see `infra/reliability.py`) is the original body and headers on
`deadletter.<original subject>` in the DEADLETTER stream, plus headers naming the error, the
tries and where it came from. Listing never prints a body (it may hold personal data), only its
size. Replaying publishes the original body and headers to the original subject and, once the
stream has acknowledged it, deletes the dead letter.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import click
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import RawStreamMsg
from nats.js.errors import NotFoundError

from events.catalog import DEAD_LETTER_PREFIX, DEAD_LETTERS
from events.envelope import MSG_ID_HEADER, caused_id
from handlers.cli_support import run_with_bus
from infra.reliability import (
    CONSUMER_HEADER,
    DELIVERIES_HEADER,
    ERROR_HEADER,
    ORIGINAL_MSG_ID_HEADER,
    ORIGINAL_SEQUENCE_HEADER,
    ORIGINAL_STREAM_HEADER,
    ORIGINAL_SUBJECT_HEADER,
)

# What the reliability middleware adds; everything else is the original's own header.
DEAD_LETTER_HEADERS = frozenset(
    {
        ERROR_HEADER,
        DELIVERIES_HEADER,
        ORIGINAL_SUBJECT_HEADER,
        ORIGINAL_STREAM_HEADER,
        ORIGINAL_SEQUENCE_HEADER,
        ORIGINAL_MSG_ID_HEADER,
        CONSUMER_HEADER,
    }
)
_PATTERN = re.compile(r"^[A-Za-z0-9_*>-]+(\.[A-Za-z0-9_*>-]+)*$")


@dataclass(frozen=True)
class DeadLetterInfo:
    """What `dlq list` shows of one dead letter: never its body."""

    seq: int
    subject: str  # the original subject
    time: str
    deliveries: int | None
    error: str
    size_bytes: int
    stream: str | None  # the original stream
    consumer: str | None  # the consumer that gave up on it


def filter_subject(pattern: str | None) -> str:
    """The DEADLETTER subject filter for a pattern of original subjects (`document.*.org-a`)."""
    if pattern is None:
        return f"{DEAD_LETTER_PREFIX}.>"
    if not _PATTERN.match(pattern):
        raise click.BadParameter(
            f"{pattern!r} is not a subject pattern (tokens joined by '.', '*' or '>' wildcards)",
            param_hint="--subject",
        )
    return f"{DEAD_LETTER_PREFIX}.{pattern}"


def original_subject(letter: RawStreamMsg) -> str:
    headers = letter.headers or {}
    subject = str(letter.subject or "")
    return str(
        headers.get(ORIGINAL_SUBJECT_HEADER) or subject.removeprefix(DEAD_LETTER_PREFIX + ".")
    )


def describe(letter: RawStreamMsg) -> DeadLetterInfo:
    headers = letter.headers or {}
    deliveries = headers.get(DELIVERIES_HEADER)
    return DeadLetterInfo(
        seq=int(letter.seq or 0),
        subject=original_subject(letter),
        time=letter.time.isoformat() if letter.time else "",
        deliveries=int(deliveries) if deliveries and deliveries.isdigit() else None,
        error=str(headers.get(ERROR_HEADER, "")),
        size_bytes=len(letter.data or b""),
        stream=headers.get(ORIGINAL_STREAM_HEADER),
        consumer=headers.get(CONSUMER_HEADER),
    )


def replay_id(original_id: str, seq: int) -> str:
    """A new message id for a re-driven letter: not the original's (the stream may still hold
    it within its duplicate window and would drop the replay), yet the same for the same letter,
    so a letter replayed twice (a retry after a lost answer) is stored once."""
    return caused_id(original_id, f"replay/{DEAD_LETTERS.name}/{seq}")


def replay_headers(headers: Mapping[str, str], seq: int) -> dict[str, str]:
    """The original's headers: without the dead-letter ones and the server's (`Nats-*`), with a
    replay id of its own."""
    kept = {
        k: v
        for k, v in headers.items()
        if k not in DEAD_LETTER_HEADERS and not k.startswith("Nats-")
    }
    original_id = (
        headers.get(ORIGINAL_MSG_ID_HEADER)
        or headers.get(MSG_ID_HEADER)
        or f"{DEAD_LETTERS.name}-{seq}"
    )
    return {**kept, MSG_ID_HEADER: replay_id(original_id, seq)}


async def dead_letters(js: JetStreamContext, pattern: str | None) -> AsyncIterator[RawStreamMsg]:
    """Every dead letter whose original subject matches `pattern`, oldest first."""
    subject = filter_subject(pattern)
    seq = 1
    while True:
        try:
            letter = await js.get_msg(DEAD_LETTERS.name, seq=seq, subject=subject, next=True)
        except NotFoundError:
            return
        yield letter
        seq = int(letter.seq or seq) + 1


def render(info: DeadLetterInfo) -> str:
    tries = f"{info.deliveries} tries" if info.deliveries is not None else "? tries"
    return f"{info.seq}\t{info.time}\t{info.subject}\t{tries}\t{info.size_bytes} B\t{info.error}"


@click.group()
def dlq() -> None:
    """Dead letters: messages given up on after their last try (stream DEADLETTER)."""


@dlq.command("list")
@click.option("--subject", "pattern", help="only letters of these original subjects (wildcards)")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per letter")
@click.pass_obj
def list_letters(obj: dict[str, Any], pattern: str | None, as_json: bool) -> None:
    """Each dead letter's sequence, time, original subject, tries, size and error (no body)."""
    filter_subject(pattern)  # a bad pattern is refused before connecting

    async def work(client: Client) -> int:
        count = 0
        async for letter in dead_letters(client.jetstream(), pattern):
            info = describe(letter)
            click.echo(json.dumps(asdict(info), ensure_ascii=False) if as_json else render(info))
            count += 1
        if not as_json:
            click.echo(f"{count} dead letter{'s' if count != 1 else ''}", err=True)
        return 0

    run_with_bus(obj, work)


@dlq.command("replay")
@click.option("--seq", "seqs", type=click.IntRange(min=1), multiple=True, help="this letter")
@click.option("--all", "everything", is_flag=True, help="every letter (with --subject: those)")
@click.option("--subject", "pattern", help="only letters of these original subjects (wildcards)")
@click.pass_obj
def replay(
    obj: dict[str, Any], seqs: tuple[int, ...], everything: bool, pattern: str | None
) -> None:
    """Publish letters again to their original subjects, then delete them from DEADLETTER.

    Replay after fixing the cause: a letter that fails again comes back as a new dead letter.
    """
    if bool(seqs) == everything:
        raise click.UsageError(
            "name the letters with --seq N (repeatable) or replay them all with --all"
        )
    filter_subject(pattern)

    async def work(client: Client) -> int:
        js = client.jetstream()
        chosen = [letter async for letter in dead_letters(js, pattern)]
        if seqs:
            found = {int(letter.seq or 0) for letter in chosen}
            missing = [seq for seq in seqs if seq not in found]
            if missing:
                click.echo(
                    f"no dead letter {', '.join(map(str, missing))}"
                    f"{' matching --subject' if pattern else ''}: see `madoguchi dlq list`",
                    err=True,
                )
                return 1
            chosen = [letter for letter in chosen if int(letter.seq or 0) in seqs]
        failed = 0
        for letter in chosen:
            failed += not await _replay_one(js, letter)
        click.echo(f"replayed {len(chosen) - failed} of {len(chosen)} dead letters", err=True)
        return 1 if failed else 0

    run_with_bus(obj, work)


async def _replay_one(js: JetStreamContext, letter: RawStreamMsg) -> bool:
    info = describe(letter)
    headers = replay_headers(letter.headers or {}, info.seq)
    try:
        ack = await js.publish(
            info.subject, letter.data or b"", stream=info.stream, headers=headers
        )
    except Exception as exc:  # kept in DEADLETTER: nothing is lost
        click.echo(f"{info.seq}: not replayed to {info.subject}: {exc}", err=True)
        return False
    # Only now that the original stream holds it again may the letter go.
    await js.delete_msg(DEAD_LETTERS.name, info.seq)
    again = " (replayed before: kept once)" if ack.duplicate else ""
    click.echo(f"{info.seq}\t-> {info.subject}\t{ack.stream} seq {ack.seq}{again}")
    return True
