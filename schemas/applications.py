"""Online procedures, the attachment-kind catalog, and the records of applications and payments.

Answers, file names and review notes are personal data (`ApplicationContent`, PI store only);
the status records hold ids, states, amounts and counts, like the events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.events import OrgId, PaymentMethod, RecordId, utc_now
from schemas.forms import FIELD_NAME_PATTERN, TEMPLATE_ID_PATTERN, FieldKind

AttachmentCategory = Literal["identity_document", "tax_receipt", "entitlement_document"]


@dataclass(frozen=True)
class AttachmentKind:
    id: str
    label: str
    category: AttachmentCategory


CATEGORY_LABELS: dict[str, str] = {
    "identity_document": "本人確認書類",
    "tax_receipt": "納税を証する書類",
    "entitlement_document": "申請の権利を証する書類",
}

# The city's list (DESIGN.md, "accepted attachment kinds"), one id per document.
ATTACHMENT_KINDS: dict[str, AttachmentKind] = {
    kind.id: kind
    for kind in (
        AttachmentKind("mynumber_card_front", "マイナンバーカード（表面）", "identity_document"),
        AttachmentKind("drivers_license", "運転免許証", "identity_document"),
        AttachmentKind("passport", "パスポート", "identity_document"),
        AttachmentKind(
            "special_permanent_resident_certificate", "特別永住者証明書", "identity_document"
        ),
        AttachmentKind("residence_card", "在留カード", "identity_document"),
        AttachmentKind("driving_history_certificate", "運転経歴証明書", "identity_document"),
        AttachmentKind("physical_disability_handbook", "身体障害者手帳", "identity_document"),
        AttachmentKind("mental_disability_handbook", "精神障害者保健福祉手帳", "identity_document"),
        AttachmentKind("rehabilitation_handbook", "療育手帳", "identity_document"),
        AttachmentKind(
            "resident_register_card_with_photo", "写真付き住民基本台帳カード", "identity_document"
        ),
        AttachmentKind("student_id_with_photo", "写真付き学生証", "identity_document"),
        AttachmentKind("employee_id_with_photo", "写真付き社員証", "identity_document"),
        AttachmentKind("health_insurance_card", "健康保険証・資格確認書", "identity_document"),
        AttachmentKind("pension_book", "年金手帳", "identity_document"),
        AttachmentKind("pension_certificate", "年金証書", "identity_document"),
        AttachmentKind("other_identity_document", "その他の本人確認書類", "identity_document"),
        AttachmentKind("tax_receipt", "納税証明書・領収証書", "tax_receipt"),
        AttachmentKind("family_register", "戸籍謄本・抄本", "entitlement_document"),
        AttachmentKind("inheritance_document", "相続関係書類", "entitlement_document"),
        AttachmentKind("will", "遺言書", "entitlement_document"),
        AttachmentKind("registry_certificate", "登記事項証明書", "entitlement_document"),
        AttachmentKind("sale_contract", "売買契約書", "entitlement_document"),
        AttachmentKind("lease_contract", "賃貸借契約書", "entitlement_document"),
        AttachmentKind("brokerage_contract", "媒介契約書", "entitlement_document"),
        AttachmentKind(
            "guardianship_court_document", "成年後見等に関する裁判所の書類", "entitlement_document"
        ),
        AttachmentKind(
            "administrator_court_document", "財産管理人選任等の裁判所の書類", "entitlement_document"
        ),
        AttachmentKind("auction_document", "競売関係書類", "entitlement_document"),
        AttachmentKind(
            "other_entitlement_document", "その他の権利を証する書類", "entitlement_document"
        ),
    )
}


def is_identity_document(kind_id: str) -> bool:
    kind = ATTACHMENT_KINDS.get(kind_id)
    return kind is not None and kind.category == "identity_document"


def kinds_meeting(requirement: str) -> list[AttachmentKind]:
    """The kinds that satisfy one entry of a procedure's `attachment_kinds`: a kind id names
    itself, a category id (e.g. `identity_document`) any kind in it."""
    if requirement in ATTACHMENT_KINDS:
        return [ATTACHMENT_KINDS[requirement]]
    return [kind for kind in ATTACHMENT_KINDS.values() if kind.category == requirement]


def requirement_label(requirement: str) -> str:
    if requirement in ATTACHMENT_KINDS:
        return ATTACHMENT_KINDS[requirement].label
    return CATEGORY_LABELS.get(requirement, requirement)


class ProcedureField(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=FIELD_NAME_PATTERN)
    label: str = Field(min_length=1, max_length=100)
    kind: FieldKind
    required: bool = False


class Procedure(BaseModel):
    """An online procedure (`procedure add FILE.json`). Each `attachment_kinds` entry is one
    document the resident must attach: a kind id, or a category id meaning any kind in it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=TEMPLATE_ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    fields: tuple[ProcedureField, ...] = ()
    attachment_kinds: tuple[str, ...] = ()
    fee: int | None = Field(default=None, ge=0, le=10_000_000)  # yen; staff may set another

    @model_validator(mode="after")
    def _consistent(self) -> Procedure:
        names = [field.name for field in self.fields]
        if len(names) != len(set(names)):
            raise ValueError("a field name is used twice")
        for requirement in self.attachment_kinds:
            if not kinds_meeting(requirement):
                raise ValueError(f"unknown attachment kind {requirement!r}")
        return self


class RegisteredProcedure(BaseModel):
    """A procedure and the organisation that owns it (ids are unique across the city)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    org: OrgId
    procedure: Procedure


# --- applications -------------------------------------------------------------------------

ApplicationStatusName = Literal[
    "submitted", "returned", "rejected", "accepted", "awaiting_payment", "paid"
]
AnswerValue = str | int | bool | None


class AttachmentInfo(BaseModel):
    """What may be known about an attachment without opening it (no file name: that is PI)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    content_type: str
    size_bytes: int = Field(ge=0)


class ApplicationState(BaseModel):
    """The status record of one application: ids, state, counts; no personal data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    application_id: RecordId
    org: OrgId
    procedure_id: str
    status: ApplicationStatusName
    revision: int = Field(default=1, ge=1)  # 1 + the number of resubmissions
    attachments: tuple[AttachmentInfo, ...] = ()
    attachments_revision: int = 1  # the submission whose files are the current attachments
    fee: int | None = None
    payment_id: str | None = None
    access_code_hash: str
    code_failures: int = 0
    code_locked_until: datetime | None = None
    submitted_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)


class ApplicationContent(BaseModel):
    """The resident's answers, file names and the staff's note to them: personal data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    application_id: RecordId
    answers: dict[str, AnswerValue]
    file_names: tuple[str, ...] = ()
    review_note: str | None = None  # the reason given when returned or rejected


# --- payments -----------------------------------------------------------------------------

PaymentStatusName = Literal[
    "requested", "settled", "failed", "canceled", "partially_refunded", "refunded"
]


class PaymentState(BaseModel):
    """One payment through the agent: ids, amounts and state (card data never comes here)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    payment_id: RecordId
    org: OrgId
    application_id: RecordId
    amount: int = Field(gt=0)
    method: PaymentMethod
    status: PaymentStatusName = "requested"
    agent_payment_id: str | None = None
    redirect_url: str | None = None
    refunded: int = Field(default=0, ge=0)
    refund_keys: tuple[str, ...] = ()  # idempotency keys of refunds already made
    failure_code: str | None = None
    requested_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)
