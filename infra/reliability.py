"""One reliability policy for every handler on a JetStream consumer.

Ack only after the handler (and its side effects) finished; on an error, redeliver after a
growing delay (`nak(delay=...)`: a plain nak would ignore any backoff); after the last try,
or at once for a payload that fails validation, copy the message to `deadletter.<subject>`
with the error and the delivery count, then ack it so it never blocks the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

from faststream import BaseMiddleware
from pydantic import ValidationError

from events.catalog import AUDIT_FEED, DEAD_LETTER_PREFIX, dead_letter_subject
from events.envelope import MSG_ID_HEADER, TRACEPARENT_HEADER
from events.tracing import current_trace, parse_traceparent
from infra.metrics import HANDLING_SECONDS, MESSAGES, subject_family

if TYPE_CHECKING:
    from faststream._internal.basic_types import AsyncFuncAny
    from faststream._internal.context.repository import ContextRepo
    from faststream.message import StreamMessage
    from faststream.nats.message import NatsMessage
    from nats.aio.msg import Msg

log = logging.getLogger("madoguchi.reliability")

ERROR_HEADER = "Madoguchi-Error"
DELIVERIES_HEADER = "Madoguchi-Deliveries"
ORIGINAL_SUBJECT_HEADER = "Madoguchi-Original-Subject"
ORIGINAL_STREAM_HEADER = "Madoguchi-Original-Stream"
ORIGINAL_SEQUENCE_HEADER = "Madoguchi-Original-Sequence"
ORIGINAL_MSG_ID_HEADER = "Madoguchi-Original-Msg-Id"
CONSUMER_HEADER = "Madoguchi-Consumer"


@dataclass(frozen=True)
class RetryPolicy:
    backoff: tuple[float, ...]  # delay before the 2nd, 3rd, ... delivery
    ack_wait: float

    @property
    def max_deliveries(self) -> int:
        return len(self.backoff) + 1


@dataclass(frozen=True)
class Retry:
    delay: float


@dataclass(frozen=True)
class DeadLetter:
    reason: str


def decide(policy: RetryPolicy, delivered: int, invalid_payload: bool) -> Retry | DeadLetter:
    """What to do with a message whose `delivered`-th handling failed."""
    if invalid_payload:
        return DeadLetter("invalid payload: retrying cannot help")
    if delivered >= policy.max_deliveries:
        return DeadLetter(f"gave up after {delivered} deliveries")
    return Retry(policy.backoff[max(delivered, 1) - 1])


def describe_error(error: BaseException) -> str:
    """One line, bounded, without input values (pydantic would echo the payload)."""
    if isinstance(error, ValidationError):
        parts = [
            f"{'.'.join(str(p) for p in e['loc']) or '(body)'}: {e['msg']}"
            for e in error.errors(include_input=False, include_url=False)
        ]
        text = "ValidationError: " + "; ".join(parts)
    elif isinstance(error, json.JSONDecodeError):
        text = f"JSONDecodeError: {error.msg} at position {error.pos}"
    else:
        text = f"{type(error).__name__}: {error}"
    return " ".join(text.split())[:500]


class Refused(Exception):
    """A handler's refusal that retrying cannot help (an unknown document, say): the message
    is dead-lettered at once, with the code as its error."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# Streams whose consumers record every message as it is (the audit chain keeps even a
# hostile one, as evidence) rather than act on it.
RECORDING_STREAMS = frozenset({AUDIT_FEED.name})


def org_refusal(subject: str, body: bytes) -> str | None:
    """Why a message is refused before any handler sees it: its payload names another org
    than its subject's last token (`<aggregate>.<event>.<org>`). None when it may pass."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None  # the handler's own validation answers that
    if not isinstance(payload, dict) or "org" not in payload:
        return None
    if payload["org"] != subject.rsplit(".", 1)[-1]:
        return "org_mismatch: the payload's org is not the subject's"
    return None


def _is_dead_letter(subject: str) -> bool:
    return subject.startswith(DEAD_LETTER_PREFIX + ".")


class DeadLetterSink(Protocol):
    async def __call__(self, subject: str, body: bytes, headers: dict[str, str]) -> None: ...


def dead_letter_headers(raw: Msg, error: str, delivered: int) -> dict[str, str]:
    meta = raw.metadata
    # The original's own headers travel along, except the server's (Nats-*). The dead-letter
    # stream dedupes on the original's id and the consumer's name: a consumer dead-letters a
    # message at most once, and two consumers that both gave up on it each keep their letter.
    original = {k: v for k, v in (raw.headers or {}).items() if not k.startswith("Nats-")}
    original_id = (raw.headers or {}).get(MSG_ID_HEADER, f"{meta.stream}-{meta.sequence.stream}")
    original[MSG_ID_HEADER] = f"{original_id}/{meta.consumer}"
    return {
        **original,
        ORIGINAL_MSG_ID_HEADER: original_id,
        CONSUMER_HEADER: str(meta.consumer),
        ERROR_HEADER: error,
        DELIVERIES_HEADER: str(delivered),
        ORIGINAL_SUBJECT_HEADER: raw.subject,
        ORIGINAL_STREAM_HEADER: str(meta.stream),
        ORIGINAL_SEQUENCE_HEADER: str(meta.sequence.stream),
    }


class _Reliability(BaseMiddleware):
    def __init__(
        self,
        msg: Any,
        /,
        *,
        context: ContextRepo,
        policy: RetryPolicy,
        sink: DeadLetterSink,
    ) -> None:
        super().__init__(msg, context=context)
        self.policy = policy
        self.sink = sink

    async def consume_scope(self, call_next: AsyncFuncAny, message: StreamMessage[Any]) -> Any:
        msg = cast("NatsMessage", message)
        raw: Msg = msg.raw_message
        if not _is_jetstream(raw):
            return await call_next(msg)
        delivered = int(raw.metadata.num_delivered)
        family = subject_family(raw.subject)
        if delivered > self.policy.max_deliveries:
            # A message that crashed its process before it could be settled lands here.
            await self._dead_letter(
                msg, raw, f"gave up after {delivered - 1} deliveries", delivered
            )
            return None
        refusal = (
            None if raw.metadata.stream in RECORDING_STREAMS else org_refusal(raw.subject, raw.data)
        )
        if refusal is not None:
            await self._refuse(msg, raw, refusal, delivered)
            return None
        token = current_trace.set(parse_traceparent((raw.headers or {}).get(TRACEPARENT_HEADER)))
        heartbeat = asyncio.create_task(self._heartbeat(msg))
        started = time.perf_counter()
        try:
            result = await call_next(msg)
        except asyncio.CancelledError:
            # Shutdown outlived the grace period: hand the message back at once, unfinished.
            with contextlib.suppress(Exception):
                await msg.nack()
            raise
        except Exception as error:
            await self._failed(msg, raw, error, delivered)
            return None
        finally:
            heartbeat.cancel()
            current_trace.reset(token)
            HANDLING_SECONDS.labels(family).observe(time.perf_counter() - started)
        await msg.ack()
        MESSAGES.labels(family, "acked").inc()
        return result

    async def _heartbeat(self, msg: NatsMessage) -> None:
        """Tell the server the work goes on, so long work is not redelivered to another worker."""
        interval = max(self.policy.ack_wait / 3, 0.5)
        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(Exception):
                await msg.in_progress()

    async def _refuse(self, msg: NatsMessage, raw: Msg, reason: str, delivered: int) -> None:
        """Dead-letter at once; a dead letter refused again stays where it is (acked)."""
        if _is_dead_letter(raw.subject):
            log.error("dead letter refused: %s", reason, extra={"subject": raw.subject})
            await msg.ack()
            MESSAGES.labels(subject_family(raw.subject), "refused").inc()
            return
        await self._dead_letter(msg, raw, reason, delivered)

    async def _failed(self, msg: NatsMessage, raw: Msg, error: Exception, delivered: int) -> None:
        invalid = isinstance(error, ValidationError | json.JSONDecodeError | Refused)
        reason = error.code if isinstance(error, Refused) else describe_error(error)
        step = decide(self.policy, delivered, invalid)
        if isinstance(step, DeadLetter) and invalid:
            await self._refuse(msg, raw, f"{step.reason}; last error: {reason}", delivered)
            return
        if isinstance(step, Retry) or _is_dead_letter(raw.subject):
            delay = step.delay if isinstance(step, Retry) else self.policy.backoff[-1]
            log.warning(
                "handler failed, retrying in %.1fs: %s",
                delay,
                reason,
                extra={"subject": raw.subject, "deliveries": delivered},
            )
            await msg.nack(delay=delay)
            MESSAGES.labels(subject_family(raw.subject), "retried").inc()
            return
        await self._dead_letter(msg, raw, f"{step.reason}; last error: {reason}", delivered)

    async def _dead_letter(self, msg: NatsMessage, raw: Msg, reason: str, delivered: int) -> None:
        log.error(
            "dead-lettered: %s", reason, extra={"subject": raw.subject, "deliveries": delivered}
        )
        await self.sink(
            dead_letter_subject(raw.subject), raw.data, dead_letter_headers(raw, reason, delivered)
        )
        await msg.ack()  # only after the dead letter is safely stored
        MESSAGES.labels(subject_family(raw.subject), "dead_lettered").inc()


def _is_jetstream(raw: Any) -> bool:
    reply = getattr(raw, "reply", "") or ""
    return isinstance(reply, str) and reply.startswith("$JS.ACK.")


class ReliabilityMiddleware:
    """The broker middleware factory: `NatsBroker(middlewares=[ReliabilityMiddleware(...)])`."""

    def __init__(self, policy: RetryPolicy, sink: DeadLetterSink) -> None:
        self.policy = policy
        self.sink = sink

    def __call__(self, msg: Any, /, *, context: ContextRepo) -> _Reliability:
        return _Reliability(msg, context=context, policy=self.policy, sink=self.sink)
