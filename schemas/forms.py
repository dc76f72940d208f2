"""Form definitions (templates): where each field sits on a page and what kind of value it is."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FieldKind = Literal["text", "katakana", "digits", "integer", "date", "checkbox"]
# Templates add `choice` (printed options, one or more marked by hand); procedures do not.
FormFieldKind = Literal[FieldKind, "choice"]  # one Literal: a bad kind is one problem
CELL_KINDS = frozenset({"digits", "integer", "katakana", "date"})
MAX_CELLS = 40
MAX_WORDS = 200  # a 続柄 list is about 40; room for a city's own longer lists
TEMPLATE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
FIELD_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"


Box = tuple[float, float, float, float]  # x, y, width, height in mm from the top-left corner


def _check_box(box: Box, what: str) -> None:
    x, y, width, height = box
    if x < 0 or y < 0 or width <= 0 or height <= 0:
        raise ValueError(f"{what}: box_mm needs x, y >= 0 and width, height > 0")


class ChoiceOption(BaseModel):
    """One printed option of a `choice` field and the area a resident circles or ticks."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: str = Field(min_length=1, max_length=100)
    box_mm: Box


class FormField(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=FIELD_NAME_PATTERN)
    label: str = Field(min_length=1, max_length=100)
    kind: FormFieldKind
    page: int = Field(default=1, ge=1, le=100)
    box_mm: Box
    hand: bool = False  # written by hand
    cells: int | None = Field(default=None, ge=1, le=MAX_CELLS)  # a comb: one character a cell
    options: tuple[ChoiceOption, ...] = ()
    multiple: bool = False  # a choice that may have several options marked
    direction: Literal["horizontal", "vertical"] = "horizontal"  # vertical: 縦書き
    # A printed text field that holds one of these words (続柄: 本人, 妻, 長男 …): a reading
    # that is none of them is sent to staff. (Read among their characters only, the fast
    # model returned nothing for a lone 妻: the list checks the reading, it does not steer it.)
    words: tuple[Annotated[str, Field(min_length=1, max_length=20)], ...] = Field(
        default=(), max_length=MAX_WORDS
    )

    @model_validator(mode="after")
    def _consistent(self) -> FormField:
        _check_box(self.box_mm, f"field {self.name!r}")
        if self.cells is not None and self.kind not in CELL_KINDS:
            raise ValueError(f"field {self.name!r}: cells is for {sorted(CELL_KINDS)} fields")
        if self.kind == "choice":
            if len(self.options) < 2:
                raise ValueError(f"field {self.name!r}: a choice needs at least two options")
            values = [option.value for option in self.options]
            if len(set(values)) != len(values):
                raise ValueError(f"field {self.name!r}: option values must differ")
            for option in self.options:
                _check_box(option.box_mm, f"field {self.name!r} option {option.value!r}")
        elif self.options or self.multiple:
            raise ValueError(f"field {self.name!r}: options and multiple are for choice fields")
        if self.words and (self.kind != "text" or self.hand):
            raise ValueError(f"field {self.name!r}: words are for printed text fields")
        if any(char.isspace() for word in self.words for char in word):
            raise ValueError(f"field {self.name!r}: a word has no spaces")
        return self

    @property
    def boxes(self) -> tuple[Box, ...]:
        """Every area this field occupies on its page."""
        return (self.box_mm, *(option.box_mm for option in self.options))


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
            for x, y, width, height in field.boxes:
                if x + width > page_width or y + height > page_height:
                    raise ValueError(f"field {field.name!r}: box_mm lies outside the page")
        return self

    @property
    def pages(self) -> int:
        return max(field.page for field in self.fields)
