"""Form definitions (templates): where each field sits on a page and what kind of value it is."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FieldKind = Literal["text", "katakana", "digits", "integer", "date", "checkbox"]
TEMPLATE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
FIELD_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"


class FormField(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=FIELD_NAME_PATTERN)
    label: str = Field(min_length=1, max_length=100)
    kind: FieldKind
    page: int = Field(default=1, ge=1, le=100)
    box_mm: tuple[float, float, float, float]  # x, y, width, height from the top-left corner

    @model_validator(mode="after")
    def _positive_box(self) -> FormField:
        x, y, width, height = self.box_mm
        if x < 0 or y < 0 or width <= 0 or height <= 0:
            raise ValueError(f"field {self.name!r}: box_mm needs x, y >= 0 and width, height > 0")
        return self


class FormTemplate(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=TEMPLATE_ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    page_size_mm: tuple[float, float] = (210.0, 297.0)
    fields: tuple[FormField, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _fields_fit(self) -> FormTemplate:
        page_width, page_height = self.page_size_mm
        names: set[str] = set()
        for field in self.fields:
            if field.name in names:
                raise ValueError(f"field name {field.name!r} is used twice")
            names.add(field.name)
            x, y, width, height = field.box_mm
            if x + width > page_width or y + height > page_height:
                raise ValueError(f"field {field.name!r}: box_mm lies outside the page")
        return self

    @property
    def pages(self) -> int:
        return max(field.page for field in self.fields)
