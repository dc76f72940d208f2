"""Handwritten fields' values from the worker's evidence (pure): combs, choices, ticks, free text.

Ink decides blank; the character model proposes each cell's character; a thin top-1/top-2
margin, or a value the kind's rules refuse, sends the field to staff with a reason. Marks
are decided by thresholds on ink area and spread (millimetres, so they do not depend on the
scan's resolution), with a band in between that is neither: unsure goes to staff.

The cell thresholds were set on tuning data (`bench/handwriting.py --tune`: kana with the
training pens, the MNIST development split), the mark thresholds on development draws of
the bench's form generator with other seeds; `make bench` reports them on held-out pens,
digits and forms.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from handlers.shared.normalise import normalise
from infra.ocr.handread import CellGuess
from infra.ocr.marks import Mark
from infra.ocr.readings import FieldReading
from schemas.forms import FormField
from schemas.ocr import FieldValue, FieldValueType, ReviewReason

# A cell's character is trusted when the model gives it at least this probability and the
# runner-up is this far behind.
CELL_SURE = 0.95
CELL_MARGIN = 0.90
# A tick in a checkbox: ink area (mm²) and spread (mm).
BOX_MARKED = (1.0, 1.5)
BOX_EMPTY = (0.4, 1.0)
# A circle or cross around an option's label: area (mm²), spread (mm), sides of the ring.
RING_MARKED = (1.5, 3.0, 2)
RING_EMPTY = (0.8, 2.0)
# Ink on one side of the ring only: within this depth of the area's edge it is a line grazing
# the edge or a sliver of a neighbour's circle; deeper, with this area (mm²) and spread (mm),
# a cross or tick drawn a little high or low over the label.
GRAZE_DEPTH_MM = 1.5
ONE_SIDED_MARKED = (1.2, 3.0)


@dataclass(frozen=True)
class MarkState:
    marked: bool
    sure: bool


def box_state(mark: Mark) -> MarkState:
    if mark.ink_mm2 >= BOX_MARKED[0] and mark.spread_mm >= BOX_MARKED[1]:
        return MarkState(True, True)
    if mark.ink_mm2 < BOX_EMPTY[0] or mark.spread_mm < BOX_EMPTY[1]:
        return MarkState(False, True)
    return MarkState(False, False)


def ring_state(mark: Mark) -> MarkState:
    area, spread, sides = RING_MARKED
    if mark.ink_mm2 >= area and mark.spread_mm >= spread and mark.sides >= sides:
        return MarkState(True, True)
    if mark.ink_mm2 < RING_EMPTY[0] or mark.spread_mm < RING_EMPTY[1]:
        return MarkState(False, True)
    if mark.sides <= 1:  # ink on one side of the ring only
        if mark.depth_mm < GRAZE_DEPTH_MM:  # along the edge: a graze, a neighbour's sliver
            return MarkState(False, True)
        if mark.ink_mm2 >= ONE_SIDED_MARKED[0] and mark.spread_mm >= ONE_SIDED_MARKED[1]:
            return MarkState(True, True)  # a cross drawn a little high or low
        if mark.ink_mm2 < area:
            return MarkState(False, True)
    return MarkState(False, False)


def _review(value: FieldValueType, reason: ReviewReason, confidence: float = 0.0) -> FieldValue:
    return FieldValue(
        value=value,
        confidence=confidence,
        needs_review=True,
        review_reason=reason,
    )


def _trusted(value: FieldValueType, confidence: float, aligned: bool) -> FieldValue:
    """A value read with confidence, unless the page did not match the template's boxes."""
    if not aligned:
        return _review(value, "not_aligned", confidence)
    return FieldValue(value=value, confidence=confidence, needs_review=False)


def checkbox_value(mark: Mark, aligned: bool) -> FieldValue:
    state = box_state(mark)
    if not state.sure:
        return _review(None, "uncertain_mark", 50.0)
    return _trusted(state.marked, 100.0, aligned)


def choice_value(spec: FormField, found: tuple[Mark, ...], aligned: bool) -> FieldValue:
    states = [ring_state(mark) for mark in found]
    chosen = [o.value for o, s in zip(spec.options, states, strict=True) if s.marked]
    if not all(state.sure for state in states):
        return _review(None, "uncertain_mark", 50.0)
    if not chosen:
        return _review(None, "no_mark")
    if spec.multiple:
        return _trusted(chosen, 100.0, aligned)
    if len(chosen) > 1:
        return _review(None, "several_marks")
    return _trusted(chosen[0], 100.0, aligned)


def comb_text(kind: str, cells: tuple[CellGuess, ...]) -> str:
    """The characters in order; blank cells skipped, except one between katakana: a space."""
    chars = [guess.first if guess.ink else "" for guess in cells]
    text = ""
    for index, char in enumerate(chars):
        if char:
            text += char
        elif (
            kind == "katakana"
            and 0 < index < len(chars) - 1
            and chars[index - 1]
            and chars[index + 1]
        ):
            text += " "
    return text


def has_gap(cells: tuple[CellGuess, ...]) -> bool:
    """An empty cell between written ones: in a number that is a digit lost (too faint, or
    read as blank), not a space the resident meant."""
    written = [i for i, guess in enumerate(cells) if guess.ink and guess.first]
    return bool(written) and any(
        not (cells[i].ink and cells[i].first) for i in range(written[0], written[-1])
    )


def one_cell_changed(cells: tuple[CellGuess, ...]) -> list[tuple[CellGuess, ...]]:
    """The cells with one written cell's runner-up in its place (never a blank), the likeliest
    first (by how close the runner-up came)."""
    changed = [
        (guess.second_p / max(guess.first_p, 1e-6), index)
        for index, guess in enumerate(cells)
        if guess.ink and guess.first and guess.second
    ]
    return [
        (*cells[:index], replace(cells[index], first=cells[index].second), *cells[index + 1 :])
        for _, index in sorted(changed, reverse=True)
    ]


def comb_value(
    spec: FormField, cells: tuple[CellGuess, ...], aligned: bool, today: date, empty: FieldValueType
) -> FieldValue:
    written = [guess for guess in cells if guess.ink and guess.first]
    unsure = [
        g
        for g in cells
        if g.ink and (g.first_p < CELL_SURE or g.first_p - g.second_p < CELL_MARGIN)
    ]
    if not written and not unsure:
        return _trusted(empty, 100.0, aligned)
    confidence = round(100.0 * min(g.first_p for g in cells if g.ink), 1)
    parsed = normalise(spec.kind, comb_text(spec.kind, cells), today=today)
    if spec.kind != "katakana" and has_gap(cells):
        return _review(parsed.value, "implausible", confidence)
    if not parsed.trusted:
        # The kind refuses the reading (a 13th month, 30 February): offer staff the likeliest
        # reading with one cell's runner-up that it accepts, rather than nothing.
        for variant in one_cell_changed(cells):
            candidate = normalise(spec.kind, comb_text(spec.kind, variant), today=today)
            if candidate.trusted:
                return _review(candidate.value, "implausible", confidence)
        return _review(parsed.value, "implausible", confidence)
    if unsure:
        return _review(parsed.value, "low_confidence", confidence)
    return _trusted(parsed.value, confidence, aligned)


def hand_text_value(blank: bool, aligned: bool) -> FieldValue:
    """Handwritten free text is never guessed: staff type it from the crop (blank stays blank)."""
    if blank:
        return _trusted("", 100.0, aligned)
    return _review(None, "handwritten_text")


def is_hand_field(spec: FormField) -> bool:
    """Read by `hand_value` rather than by Tesseract."""
    return spec.hand or spec.cells is not None or spec.kind == "choice"


def hand_value(
    spec: FormField, reading: FieldReading, aligned: bool, today: date, empty: FieldValueType
) -> FieldValue:
    if spec.kind == "choice" and len(reading.marks) == len(spec.options):
        return choice_value(spec, reading.marks, aligned)
    if spec.kind == "checkbox" and len(reading.marks) == 1:
        return checkbox_value(reading.marks[0], aligned)
    if spec.cells is not None and len(reading.cells) == spec.cells:
        return comb_value(spec, reading.cells, aligned, today, empty)
    # Free handwriting (text, or any kind without cells): staff type it from the crop.
    return hand_text_value(reading.blank, aligned)
