"""OCR records: the result (personal data, kept in the PI store) and the status index (not PI)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.events import OrgId, RecordId, utc_now

DocumentStatusName = Literal["queued", "completed", "rejected", "failed"]
FieldValueType = str | int | bool | list[str] | None  # a list: a choice with `multiple`
# Why a field needs review, for staff to know what to look at (contract: `review_reason`).
ReviewReason = Literal[
    "ink_unread",  # ink in the box, but nothing (or nothing of this kind) could be read
    "implausible",  # read, but not a possible value: 2月30日, a future 令和 year, wrong length
    "confusable",  # a name character of a confusable pair (郎/朗, 高/髙) read unsurely
    "low_confidence",  # the engine was unsure, or two readings disagreed
    "uncertain_mark",  # a checkbox with a little ink: ticked or a smudge?
    "not_aligned",  # the scan could not be aligned to the template's boxes
    "page_missing",  # the template's page is not in the scan
    "handwritten_text",  # handwritten free text is never guessed
    "no_mark",  # a choice with no option marked
    "several_marks",  # several options marked where one is expected
]


class FieldValue(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    value: FieldValueType
    confidence: float = Field(ge=0, le=100)
    needs_review: bool
    review_reason: ReviewReason | None = None  # set when needs_review is true

    def public(self) -> dict[str, object]:
        """The contract's field object: `review_reason` only where there is one."""
        shown = self.model_dump()
        if shown["review_reason"] is None:
            del shown["review_reason"]
        return shown


class PageText(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    confidence: float = Field(ge=0, le=100)


class DocumentResult(BaseModel):
    """What `scan --wait --json` prints and `GET /api/documents/{id}` returns (contract shape),
    plus staff corrections. Holds personal data: lives only in the PI store."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    document_id: RecordId
    status: DocumentStatusName
    reason: str | None = None
    template_id: str | None = None
    fields: dict[str, FieldValue] = Field(default_factory=dict)
    pages: list[PageText] = Field(default_factory=list)
    verified: dict[str, FieldValueType] = Field(default_factory=dict)

    def public(self) -> dict[str, object]:
        """The contract's JSON object (corrections appear as the values they set)."""
        shown: dict[str, object] = {"document_id": self.document_id, "status": self.status}
        if self.reason is not None:
            shown["reason"] = self.reason
        fields = {name: value.public() for name, value in self.fields.items()}
        for name, value in self.verified.items():
            fields[name] = {"value": value, "confidence": 100.0, "needs_review": False}
        shown["fields"] = fields
        shown["pages"] = [page.model_dump() for page in self.pages]
        return shown


class DocumentStatus(BaseModel):
    """The index entry of one document: ids, state and counts only (no personal data)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    document_id: RecordId
    org: OrgId
    status: DocumentStatusName
    template_id: str | None = None
    personal_info: bool = False
    pages: int = 0
    fields: int = 0
    fields_needing_review: int = 0
    mean_confidence: float = 0.0
    verified: bool = False
    verified_by: str | None = None  # the staff login that last saved corrections
    verified_at: datetime | None = None
    reason_code: str | None = None
    reason: str | None = None
    scanned_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)


class ReadingProgress(BaseModel):
    """How far the reading of one document has got (a live notice: ids and counts only)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    document_id: RecordId
    org: OrgId
    pages_read: int = Field(ge=0)
    pages_total: int = Field(ge=0)
