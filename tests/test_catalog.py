from __future__ import annotations

from fnmatch import fnmatch

import pytest
from pydantic import ValidationError

from events.catalog import BUCKETS, EVENTS, PERSONAL_DATA_KINDS, STREAMS, event_spec
from events.envelope import caused_id, event_headers, event_subject, new_event_id, schema_name
from events.tracing import child_of, parse_traceparent
from schemas.events import DocumentScanned, Event, OcrCompleted

CONTRACT_SUBJECTS = {
    "document.scanned",
    "document.rejected",
    "ocr.completed",
    "ocr.failed",
    "ocr.verified",
    "application.submitted",
    "application.accepted",
    "application.returned",
    "application.rejected",
    "payment.requested",
    "payment.settled",
    "payment.failed",
    "payment.canceled",
    "payment.refunded",
}


def _nats_match(pattern: str, subject: str) -> bool:
    if pattern.endswith(".>"):
        return subject.startswith(pattern[:-1])
    return fnmatch(subject, pattern.replace("*", "[!.]*"))


def test_every_contract_subject_is_in_the_catalog() -> None:
    assert {spec.type_name for spec in EVENTS} >= CONTRACT_SUBJECTS


@pytest.mark.parametrize("spec", EVENTS, ids=lambda s: s.type_name)
def test_each_event_is_kept_by_exactly_its_stream(spec) -> None:  # type: ignore[no-untyped-def]
    subject = spec.subject("org-a")
    keepers = [s.name for s in STREAMS if any(_nats_match(p, subject) for p in s.subjects)]
    assert keepers == [spec.stream]


def test_stream_subjects_do_not_overlap() -> None:
    samples = [spec.subject("x") for spec in EVENTS] + ["deadletter.ocr.completed.x"]
    for subject in samples:
        owners = [s for s in STREAMS if any(_nats_match(p, subject) for p in s.subjects)]
        assert len(owners) == 1, subject


def test_events_are_frozen_and_refuse_unknown_fields() -> None:
    event = OcrCompleted(
        event_id=new_event_id(),
        org="org-a",
        document_id="d1",
        pages=1,
        fields=0,
        fields_needing_review=0,
        mean_confidence=90.0,
    )
    with pytest.raises(ValidationError):
        event.pages = 2  # type: ignore[misc]
    with pytest.raises(ValidationError):
        OcrCompleted.model_validate({**event.model_dump(), "text": "山田太郎"})


@pytest.mark.parametrize("org", ["ORG", "a.b", "", "x" * 33, "a>b"])
def test_org_ids_cannot_break_subjects(org: str) -> None:
    with pytest.raises(ValidationError):
        DocumentScanned(
            event_id="e1",
            org=org,
            document_id="d1",
            personal_info=False,
            content_type="image/png",
            size_bytes=1,
            source="cli",
        )


def test_no_event_field_is_a_free_text_of_personal_data() -> None:
    # Claim check: only ids, states, counts and our own reason sentences. A new field whose
    # name suggests personal content must be a deliberate decision, caught here.
    suspicious = {
        "name",
        "address",
        "text",
        "value",
        "values",
        "answers",
        "filename",
        "birth_date",
        "phone",
        "email",
        "card_number",
        "note",
        "comment",
    }
    for spec in EVENTS:
        assert not set(spec.model.model_fields) & suspicious, spec.type_name


def test_headers_carry_id_trace_and_schema() -> None:
    event = DocumentScanned(
        event_id="e1",
        org="org-a",
        document_id="d1",
        personal_info=True,
        content_type="application/pdf",
        size_bytes=10,
        source="cli",
    )
    trace = child_of(None)
    headers = event_headers(event, trace)
    assert headers["Nats-Msg-Id"] == "e1"
    assert headers["Madoguchi-Schema"] == "document.scanned/v1" == schema_name(event)
    assert parse_traceparent(headers["traceparent"]) == trace
    assert event_subject(event) == "document.scanned.org-a"


def test_caused_ids_are_stable_and_distinct() -> None:
    assert caused_id("e1", "ocr.completed") == caused_id("e1", "ocr.completed")
    assert caused_id("e1", "ocr.completed") != caused_id("e2", "ocr.completed")
    assert caused_id("e1", "ocr.completed") != caused_id("e1", "ocr.failed")


def test_unknown_event_type_is_refused() -> None:
    class Stray(Event):
        pass

    with pytest.raises(LookupError):
        event_spec(Stray)


def test_personal_data_kinds_live_in_personal_buckets() -> None:
    assert {k.bucket.name for k in PERSONAL_DATA_KINDS.values()} <= {
        b.name for b in BUCKETS if b.personal
    }
    assert PERSONAL_DATA_KINDS["scan"].bucket.retention == "ocr"
    assert PERSONAL_DATA_KINDS["ocr_result"].bucket.retention == "ocr"
    assert PERSONAL_DATA_KINDS["attachment"].bucket.retention == "attachments"
