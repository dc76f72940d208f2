from __future__ import annotations

import pytest

from events.tracing import TraceParent, child_of, parse_traceparent

VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_parse_valid() -> None:
    parent = parse_traceparent(VALID)
    assert parent == TraceParent("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "01")
    assert parent is not None and parent.header() == VALID


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "",
        "garbage",
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
    ],
)
def test_malformed_headers_start_a_new_trace(bad: str | None) -> None:
    assert parse_traceparent(bad) is None


def test_child_keeps_trace_and_gets_new_span() -> None:
    parent = parse_traceparent(VALID)
    child = child_of(parent)
    assert parent is not None
    assert child.trace_id == parent.trace_id
    assert child.span_id != parent.span_id
    assert parse_traceparent(child.header()) == child


def test_root_is_a_new_trace() -> None:
    a, b = child_of(None), child_of(None)
    assert a.trace_id != b.trace_id
    assert parse_traceparent(a.header()) == a
