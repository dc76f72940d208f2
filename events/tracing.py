"""W3C Trace Context (`traceparent`) carried from a consumed event to the events it causes.

Hand-written because only the header format is needed here: no tracing backend runs in a
city's closed network, and the OpenTelemetry SDK would be a large dependency for 30 lines.
"""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar
from dataclasses import dataclass

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


@dataclass(frozen=True)
class TraceParent:
    trace_id: str
    span_id: str
    flags: str = "01"

    def header(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"


def parse_traceparent(value: str | None) -> TraceParent | None:
    """The parsed header, or None when absent or malformed (a bad header starts a new trace)."""
    if not value:
        return None
    match = _TRACEPARENT.match(value.strip().lower())
    if match is None or set(match.group(1)) == {"0"} or set(match.group(2)) == {"0"}:
        return None
    return TraceParent(match.group(1), match.group(2), match.group(3))


def child_of(parent: TraceParent | None) -> TraceParent:
    """A new span in the parent's trace, or the root of a new trace."""
    span_id = secrets.token_hex(8)
    if parent is None:
        return TraceParent(secrets.token_hex(16), span_id)
    return TraceParent(parent.trace_id, span_id, parent.flags)


# The trace of the message being handled; set by the consuming middleware, read when publishing.
current_trace: ContextVar[TraceParent | None] = ContextVar("current_trace", default=None)
