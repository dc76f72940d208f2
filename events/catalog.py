"""The catalog: every subject, the stream that keeps it, every bucket and its retention.

This is the one place that names subjects, streams, KV buckets and object stores. Provisioning,
publishing, the AsyncAPI document and the NATS permissions are all derived from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from schemas import events as ev
from schemas.ocr import ReadingProgress
from schemas.scan_intake import ScanSubmitHeaders, ScanSubmitReply
from schemas.settings import RetentionSettings

RetentionKey = Literal["ocr", "applications", "attachments", "audit"]


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    retention: RetentionKey
    description: str
    duplicate_window: float = 120.0  # seconds a repeated Nats-Msg-Id is dropped
    sources: tuple[str, ...] = ()  # streams whose messages this one copies, in arrival order


@dataclass(frozen=True)
class Endpoint:
    """A place in the code that sends or hears an event: a room (`handlers/<room>/`) and the
    function there, `module:function` (e.g. `ocr`, `web:correct_fields`)."""

    room: str
    entry: str

    def __post_init__(self) -> None:
        module, _, function = self.entry.partition(":")
        if not module or not function:
            raise ValueError(f"entry {self.entry!r} of room {self.room!r}: use module:function")

    @property
    def module(self) -> str:
        return f"handlers.{self.room}.{self.entry.partition(':')[0]}"

    @property
    def function(self) -> str:
        return self.entry.partition(":")[2]

    def __str__(self) -> str:
        return f"{self.room}/{self.entry}"


@dataclass(frozen=True)
class EventSpec:
    """One event type: `<aggregate>.<event>.<org>` carrying `model`, kept by `stream`; who
    publishes it (`producers`) and which subscribers hear it (`consumers`). The audit chain
    (`EVERY_EVENT_CONSUMERS`) hears every event and is not repeated on each."""

    aggregate: str
    name: str
    model: type[ev.Event]
    stream: str
    description: str
    producers: tuple[Endpoint, ...] = ()
    consumers: tuple[Endpoint, ...] = ()
    dead_letter_consumers: tuple[Endpoint, ...] = ()

    @property
    def type_name(self) -> str:
        return f"{self.aggregate}.{self.name}"

    def subject(self, org: str) -> str:
        return f"{self.aggregate}.{self.name}.{org}"

    @property
    def all_orgs(self) -> str:
        return f"{self.aggregate}.{self.name}.*"


@dataclass(frozen=True)
class BucketSpec:
    """A KV bucket or object store; `personal` ones hold PI, reached only via the PI store."""

    name: str
    kind: Literal["kv", "object"]
    retention: RetentionKey | float | None  # a settings key, fixed seconds, or None: no limit
    personal: bool
    description: str

    @property
    def stream_name(self) -> str:
        return f"KV_{self.name}" if self.kind == "kv" else f"OBJ_{self.name}"


@dataclass(frozen=True)
class PersonalDataKind:
    """A class of personal records: where they live, and where their wrapped data keys live
    (a bucket with the same retention, so an expired key leaves every copy unreadable)."""

    name: str
    bucket: BucketSpec
    key_bucket: BucketSpec


DOCUMENTS = StreamSpec("DOCUMENTS", ("document.>",), "audit", "Scans handed in and refused")
OCR = StreamSpec("OCR", ("ocr.>",), "audit", "OCR results, failures and staff verification")
APPLICATIONS = StreamSpec("APPLICATIONS", ("application.>",), "audit", "Online applications")
PAYMENTS = StreamSpec("PAYMENTS", ("payment.>",), "audit", "Payments through the agent")
DEAD_LETTERS = StreamSpec(
    "DEADLETTER", ("deadletter.>",), "audit", "Messages given up on, with the error and tries"
)
ACCESS = StreamSpec(
    "ACCESS", ("access.>",), "audit", "Sign-ins, refusals, reads of personal data, exports"
)
EVENT_STREAMS = (DOCUMENTS, OCR, APPLICATIONS, PAYMENTS, DEAD_LETTERS, ACCESS)
AUDIT_FEED = StreamSpec(
    "AUDIT_FEED",
    (),
    "audit",
    "Every event stream merged in arrival order, for the audit chain",
    sources=tuple(s.name for s in EVENT_STREAMS),
)
AUDIT_ENTRY_SUBJECT = "audit.entry"
AUDIT_CHECKPOINT_SUBJECT = "audit.checkpoint"
AUDIT = StreamSpec(
    "AUDIT",
    (AUDIT_ENTRY_SUBJECT, AUDIT_CHECKPOINT_SUBJECT),
    "audit",
    "The hash-chained record of every event, with signed checkpoints",
)
STREAMS: tuple[StreamSpec, ...] = (*EVENT_STREAMS, AUDIT_FEED, AUDIT)

DEAD_LETTER_PREFIX = "deadletter"


def dead_letter_subject(original_subject: str) -> str:
    return f"{DEAD_LETTER_PREFIX}.{original_subject}"


def at(room: str, *entries: str) -> tuple[Endpoint, ...]:
    return tuple(Endpoint(room, entry) for entry in entries)


# Who hears every event, whatever its type: the hash-chained audit record.
EVERY_EVENT_CONSUMERS = at("audit", "bus:chain_event")
# Staff screens follow their org's documents, readings, applications and payments live.
_LIVE = at("dashboard", "live:live")
_SCANS_IN = at("ocr", "submit:submit_scan", "scan_service:first")
_READ = at("ocr", "bus:read_document", "bus:gave_up")
_REVIEWED = at("applications", "review:review_application")
_AGENT_NEWS = at("payments", "service:learn")
_ACCESS = at("identity", "guard:record_access")

EVENTS: tuple[EventSpec, ...] = (
    EventSpec(
        "document",
        "scanned",
        ev.DocumentScanned,
        "DOCUMENTS",
        "A scan was stored",
        producers=_SCANS_IN,
        consumers=(*at("ocr", "bus:read_document"), *_LIVE),
        dead_letter_consumers=at("ocr", "bus:gave_up"),
    ),
    EventSpec(
        "document",
        "rejected",
        ev.DocumentRejected,
        "DOCUMENTS",
        "A scan was refused",
        producers=(*at("ocr", "submit:refuse_scan"), *_READ),
        consumers=_LIVE,
    ),
    EventSpec("ocr", "completed", ev.OcrCompleted, "OCR", "A document was read", _READ, _LIVE),
    EventSpec("ocr", "failed", ev.OcrFailed, "OCR", "A document could not be read", _READ, _LIVE),
    EventSpec(
        "ocr",
        "verified",
        ev.OcrVerified,
        "OCR",
        "Staff corrected or confirmed fields",
        at("ocr", "web:correct_fields"),
        _LIVE,
    ),
    EventSpec(
        "application",
        "submitted",
        ev.ApplicationSubmitted,
        "APPLICATIONS",
        "A resident applied",
        at("applications", "submit:submit_application"),
        _LIVE,
    ),
    EventSpec(
        "application",
        "accepted",
        ev.ApplicationAccepted,
        "APPLICATIONS",
        "Staff accepted",
        _REVIEWED,
        _LIVE,
    ),
    EventSpec(
        "application",
        "returned",
        ev.ApplicationReturned,
        "APPLICATIONS",
        "Returned to correct",
        _REVIEWED,
        _LIVE,
    ),
    EventSpec(
        "application",
        "rejected",
        ev.ApplicationRejected,
        "APPLICATIONS",
        "Staff refused",
        _REVIEWED,
        _LIVE,
    ),
    EventSpec(
        "application",
        "resubmitted",
        ev.ApplicationResubmitted,
        "APPLICATIONS",
        "Corrected, sent",
        at("applications", "submit:resubmit_application"),
        _LIVE,
    ),
    EventSpec(
        "application",
        "paid",
        ev.ApplicationPaid,
        "APPLICATIONS",
        "Its fee was paid",
        at("applications", "bus:fee_paid"),
        _LIVE,
    ),
    EventSpec(
        "payment",
        "requested",
        ev.PaymentRequested,
        "PAYMENTS",
        "A payment was started",
        at("payments", "service:start_payment"),
        _LIVE,
    ),
    EventSpec(
        "payment",
        "settled",
        ev.PaymentSettled,
        "PAYMENTS",
        "The agent confirmed payment",
        _AGENT_NEWS,
        (*at("applications", "bus:fee_paid"), *_LIVE),
    ),
    EventSpec(
        "payment",
        "failed",
        ev.PaymentFailed,
        "PAYMENTS",
        "The payment did not go through",
        _AGENT_NEWS,
        _LIVE,
    ),
    EventSpec(
        "payment",
        "canceled",
        ev.PaymentCanceled,
        "PAYMENTS",
        "Canceled before settlement",
        _AGENT_NEWS,
        _LIVE,
    ),
    EventSpec(
        "payment",
        "refunded",
        ev.PaymentRefunded,
        "PAYMENTS",
        "Money was returned",
        at("payments", "service:refund"),
        _LIVE,
    ),
    EventSpec("access", "signed_in", ev.SignedIn, "ACCESS", "A staff member signed in", _ACCESS),
    EventSpec(
        "access", "sign_in_failed", ev.SignInFailed, "ACCESS", "A sign-in was refused", _ACCESS
    ),
    EventSpec("access", "locked", ev.AccountLocked, "ACCESS", "An account was locked", _ACCESS),
    EventSpec(
        "access", "password_changed", ev.PasswordChanged, "ACCESS", "A password changed", _ACCESS
    ),
    EventSpec(
        "access", "refused", ev.AccessRefused, "ACCESS", "An action was not allowed", _ACCESS
    ),
    EventSpec(
        "access", "pi_read", ev.PersonalDataRead, "ACCESS", "Personal data was shown", _ACCESS
    ),
    EventSpec(
        "access",
        "exported",
        ev.DataExported,
        "ACCESS",
        "Data was exported (on the web or with `madoguchi export`)",
        (*_ACCESS, *at("ocr", "cli:export")),
    ),
    EventSpec(
        "access",
        "account_changed",
        ev.AccountChanged,
        "ACCESS",
        "An admin changed an account",
        _ACCESS,
    ),
    EventSpec(
        "access",
        "definition_saved",
        ev.DefinitionSaved,
        "ACCESS",
        "A template or procedure saved",
        _ACCESS,
    ),
)


@dataclass(frozen=True)
class RequestSpec:
    """A request/reply subject `<aggregate>.<name>.<org>` answered by a service, kept by no
    stream; `request`/`reply` are the models of its first message's headers and its replies."""

    aggregate: str
    name: str
    request: type[BaseModel]
    reply: type[BaseModel]
    description: str

    @property
    def type_name(self) -> str:
        return f"{self.aggregate}.{self.name}"

    def subject(self, org: str) -> str:
        return f"{self.aggregate}.{self.name}.{org}"

    def upload_subjects(self, org: str) -> str:
        """The subjects below `subject(org)` where one upload's later chunks go."""
        return f"{self.subject(org)}.>"

    @property
    def all_orgs(self) -> str:
        return f"{self.aggregate}.{self.name}.*"


SCAN_SUBMIT = RequestSpec(
    "scan",
    "submit",
    ScanSubmitHeaders,
    ScanSubmitReply,
    "A scanner hands a file in, in chunks; the service stores it and announces document.scanned",
)
REQUESTS: tuple[RequestSpec, ...] = (SCAN_SUBMIT,)


@dataclass(frozen=True)
class NoticeSpec:
    """A live notice `progress.<aggregate>.<org>` kept by no stream: screens show the latest
    one while work goes on; one lost costs nothing (the next, or the outcome event, follows)."""

    aggregate: str
    model: type[BaseModel]
    description: str

    def subject(self, org: str) -> str:
        return f"{NOTICE_PREFIX}.{self.aggregate}.{org}"

    @property
    def all_orgs(self) -> str:
        return f"{NOTICE_PREFIX}.{self.aggregate}.*"


NOTICE_PREFIX = "progress"
OCR_PROGRESS = NoticeSpec(
    "ocr", ReadingProgress, "Pages of one document read so far, while it is being read"
)
NOTICES: tuple[NoticeSpec, ...] = (OCR_PROGRESS,)

_EVENTS_BY_MODEL: dict[type[ev.Event], EventSpec] = {spec.model: spec for spec in EVENTS}


def event_spec(model: type[ev.Event]) -> EventSpec:
    try:
        return _EVENTS_BY_MODEL[model]
    except KeyError:
        raise LookupError(f"{model.__name__} is not in the event catalog") from None


SCANS = BucketSpec("pi_scans", "object", "ocr", True, "Scanned files as uploaded")
OCR_RESULTS = BucketSpec("pi_ocr_results", "kv", "ocr", True, "Page text and field values")
APPLICATION_ANSWERS = BucketSpec(
    "pi_applications", "kv", "applications", True, "Application answers and review notes"
)
ATTACHMENTS = BucketSpec("pi_attachments", "object", "attachments", True, "Attached documents")
DOCUMENT_INDEX = BucketSpec(
    "documents", "kv", "ocr", False, "Status of each document: ids, states, counts (no PI)"
)
APPLICATION_INDEX = BucketSpec(
    "applications", "kv", "applications", False, "Status of each application (no PI)"
)
PAYMENT_INDEX = BucketSpec("payments", "kv", "audit", False, "Each payment: ids, amounts, state")
WEBHOOK_IDS_SECONDS = 15 * 60  # longer than the 5-minute timestamp tolerance, either side
WEBHOOK_IDS = BucketSpec(
    "webhook_ids", "kv", float(WEBHOOK_IDS_SECONDS), False, "Payment-agent messages seen"
)
CONFIG = BucketSpec("config", "kv", None, False, "Form definitions and procedures")
SESSION_HOURS = 8  # the absolute limit of a staff session
SESSIONS = BucketSpec("sessions", "kv", SESSION_HOURS * 3600.0, False, "Staff sessions")
KEYS_OCR = BucketSpec("pi_keys_ocr", "kv", "ocr", True, "Wrapped data keys of OCR records")
KEYS_APPLICATIONS = BucketSpec(
    "pi_keys_applications", "kv", "applications", True, "Wrapped data keys of applications"
)
KEYS_ATTACHMENTS = BucketSpec(
    "pi_keys_attachments", "kv", "attachments", True, "Wrapped data keys of attachments"
)
BUCKETS: tuple[BucketSpec, ...] = (
    SCANS,
    OCR_RESULTS,
    APPLICATION_ANSWERS,
    ATTACHMENTS,
    KEYS_OCR,
    KEYS_APPLICATIONS,
    KEYS_ATTACHMENTS,
    DOCUMENT_INDEX,
    APPLICATION_INDEX,
    PAYMENT_INDEX,
    WEBHOOK_IDS,
    CONFIG,
    SESSIONS,
)

PERSONAL_DATA_KINDS: dict[str, PersonalDataKind] = {
    kind.name: kind
    for kind in (
        PersonalDataKind("scan", SCANS, KEYS_OCR),
        PersonalDataKind("ocr_result", OCR_RESULTS, KEYS_OCR),
        PersonalDataKind("application", APPLICATION_ANSWERS, KEYS_APPLICATIONS),
        PersonalDataKind("attachment", ATTACHMENTS, KEYS_ATTACHMENTS),
    )
}


def retention_seconds(key: RetentionKey | float | None, retention: RetentionSettings) -> float:
    """Seconds to keep; 0 means no age limit (JetStream's convention)."""
    if key is None:
        return 0.0
    if isinstance(key, float | int):
        return float(key)
    return float(getattr(retention, key))
