"""Every event payload on the bus.

Events are immutable facts named in the past tense. By the claim-check rule they carry ids,
states, counts and non-personal metadata only: names, addresses, OCR text, field values,
answers and file names stay in the personal-data store, never here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

ORG_PATTERN = r"^[a-z0-9_-]{1,32}$"
RECORD_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"

# An org's id and a record's id (document, application, payment, event), checked wherever
# they are a field.
OrgId = Annotated[str, Field(pattern=ORG_PATTERN)]
RecordId = Annotated[str, Field(pattern=RECORD_ID_PATTERN)]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """The envelope every event shares: a stable id, the owning org, a time and a schema version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: ClassVar[int] = 1

    event_id: RecordId
    org: OrgId
    occurred_at: datetime = Field(default_factory=utc_now)


# --- documents and OCR --------------------------------------------------------------------

ScanSource = Literal["cli", "http", "watch", "scanner"]


class DocumentScanned(Event):
    document_id: RecordId
    template_id: str | None = None
    personal_info: bool
    content_type: str
    size_bytes: int = Field(ge=0)
    source: ScanSource


class DocumentRejected(Event):
    document_id: RecordId
    reason_code: str
    reason: str  # a clerk-readable sentence, written by us, never containing document content


class OcrCompleted(Event):
    document_id: RecordId
    template_id: str | None = None
    pages: int = Field(ge=0)
    fields: int = Field(ge=0)
    fields_needing_review: int = Field(ge=0)
    mean_confidence: float = Field(ge=0, le=100)


class OcrFailed(Event):
    document_id: RecordId
    reason_code: str
    reason: str


class OcrVerified(Event):
    document_id: RecordId
    fields_changed: list[str]  # field names from the template, never values
    actor_id: str


# --- applications -------------------------------------------------------------------------


class ApplicationSubmitted(Event):
    application_id: RecordId
    procedure_id: str
    attachments: int = Field(ge=0)


class ApplicationResubmitted(Event):
    application_id: RecordId
    revision: int = Field(ge=2)
    attachments: int = Field(ge=0)


class ApplicationAccepted(Event):
    application_id: RecordId
    fee: int | None = Field(default=None, ge=0)
    actor_id: str


class ApplicationReturned(Event):
    application_id: RecordId
    actor_id: str  # the reason text is personal data: it stays in the store


class ApplicationRejected(Event):
    application_id: RecordId
    actor_id: str


class ApplicationPaid(Event):
    application_id: RecordId
    payment_id: RecordId


# --- payments -----------------------------------------------------------------------------

PaymentMethod = Literal["card", "wallet"]


class PaymentRequested(Event):
    payment_id: RecordId
    application_id: RecordId
    amount: int = Field(ge=0)
    method: PaymentMethod


class PaymentSettled(Event):
    payment_id: RecordId
    application_id: RecordId
    amount: int = Field(ge=0)


class PaymentFailed(Event):
    payment_id: RecordId
    application_id: RecordId
    reason_code: str


class PaymentCanceled(Event):
    payment_id: RecordId
    application_id: RecordId
    actor_id: str


class PaymentRefunded(Event):
    payment_id: RecordId
    application_id: RecordId
    amount: int = Field(gt=0)
    actor_id: str


# --- access (audited: sign-ins, refusals, reads of personal data, exports) ------------------


class AccessEvent(Event):
    """Something a person did or tried. `actor` is a staff login (never a resident's data)."""

    actor: str
    zone: str | None = None
    resource_id: str | None = None
    reason_code: str | None = None


class SignedIn(AccessEvent):
    pass


class SignInFailed(AccessEvent):
    pass


class AccountLocked(AccessEvent):
    pass


class PasswordChanged(AccessEvent):
    pass


class AccessRefused(AccessEvent):
    action: str


class PersonalDataRead(AccessEvent):
    action: str


class DataExported(AccessEvent):
    rows: int = Field(ge=0)


AccountChange = Literal["created", "locked", "unlocked", "password_reset", "org_created"]


class AccountChanged(AccessEvent):
    """An administrator changed an account (`resource_id`: its login) or created an
    organisation (`resource_id`: its id). Never a password, never a person's name."""

    change: AccountChange
    role: str | None = None  # the role an account was created with


class DefinitionSaved(AccessEvent):
    """A form template or an online procedure (`resource_id`: its id) was registered or
    replaced by an administrator."""

    kind: Literal["template", "procedure"]
    replaced: bool = False
