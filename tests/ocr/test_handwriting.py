"""Handwritten forms through the real pipeline: combs read by the shipped character model,
circled options and ticks by ink, free handwriting sent to staff.

Pages come from `handforms` (the example template `tegaki-v1`, held-out MNIST digits committed
under data/, marks drawn by hand-like strokes), read by the real worker code in one thread.
"""

from __future__ import annotations

import io
import json
from datetime import date
from functools import cache
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from handlers.ocr.corrections import CorrectionError, checked_corrections
from handlers.ocr.hand import comb_text, comb_value, has_gap, ring_state
from handlers.ocr.pipeline import read_scan
from handlers.shared.uploads import Limits
from infra.ocr.engine import OcrEngine
from infra.ocr.handread import PX_PER_MM, CellGuess, clear_edge_lines, read_cells
from infra.ocr.marks import Mark
from schemas.forms import FormTemplate
from schemas.ocr import DocumentResult, FieldValue
from tests.ocr import handforms
from training.mnist import split_of

TODAY = date(2026, 11, 1)


@cache
def template() -> FormTemplate:
    return handforms.load_template()


def writer() -> handforms.CellWriter:
    return handforms.mnist_writer(*handforms.mnist_sample())


async def read(
    engine: OcrEngine, texts: dict[str, str], marks: dict[str, str], seed: int
) -> dict[str, FieldValue]:
    page = handforms.fill(template(), texts, marks, writer(), seed)
    buffer = io.BytesIO()
    page.save(buffer, "PNG", dpi=(300, 300))
    result, refusal = await read_scan(
        engine, "hand-doc", buffer.getvalue(), template(), Limits(), TODAY
    )
    assert refusal is None and result.status == "completed"
    return result.fields


async def test_a_blank_form_reads_blank_and_asks_for_the_choices(engine: OcrEngine) -> None:
    fields = await read(engine, {}, {}, seed=1)
    assert set(fields) == {f.name for f in template().fields}  # every field was read
    assert fields["postal_code"] == FieldValue(value="", confidence=100.0, needs_review=False)
    assert fields["copies"].value is None and not fields["copies"].needs_review
    assert fields["agree"].value is False and not fields["agree"].needs_review
    assert fields["name"].value == "" and not fields["name"].needs_review
    assert (fields["applicant"].value, fields["applicant"].review_reason) == (None, "no_mark")
    assert fields["applicant"].needs_review


async def test_handwritten_digits_in_comb_cells_are_read(engine: OcrEngine) -> None:
    texts = {"postal_code": "1508010", "birth_date": "19630925", "copies": " 3"}
    fields = await read(engine, texts, {}, seed=6)
    expected = {"postal_code": "1508010", "birth_date": "1963-09-25", "copies": 3}
    assert {name: fields[name].value for name in expected} == expected  # copies: right-aligned
    # A cell the model is unsure of may send its field to staff, but not most of them.
    assert sum(fields[name].needs_review for name in expected) <= 1
    # The comb left empty on the same page is blank, not a guess.
    assert fields["phone"] == FieldValue(value="", confidence=100.0, needs_review=False)


async def test_a_circled_option_a_cross_and_a_tick_are_read(engine: OcrEngine) -> None:
    marks = {
        "applicant/代理人": "circle",
        "certificates/住民票": "circle",
        "certificates/戸籍謄本": "cross",
        "agree": "tick",
    }
    fields = await read(engine, {}, marks, seed=2)
    assert fields["applicant"].value == "代理人" and not fields["applicant"].needs_review
    assert fields["certificates"].value == ["住民票", "戸籍謄本"]
    assert not fields["certificates"].needs_review
    assert fields["agree"].value is True and not fields["agree"].needs_review


async def test_two_options_circled_without_multiple_go_to_staff(engine: OcrEngine) -> None:
    marks = {"applicant/本人": "circle", "applicant/代理人": "circle"}
    fields = await read(engine, {}, marks, seed=3)
    assert fields["applicant"].value is None
    assert fields["applicant"].needs_review
    assert fields["applicant"].review_reason == "several_marks"


async def test_a_stray_dot_and_a_grazing_line_are_not_marks(engine: OcrEngine) -> None:
    marks = {
        "applicant/本人": "circle",
        "applicant/代理人": "dot",
        "certificates/印鑑登録証明書": "graze",
        "certificates/住民票": "circle",
        "agree": "graze",
    }
    fields = await read(engine, {}, marks, seed=4)
    assert fields["applicant"].value == "本人" and not fields["applicant"].needs_review
    assert fields["certificates"].value == ["住民票"]
    assert fields["agree"].value is False and not fields["agree"].needs_review


async def test_handwritten_free_text_is_never_guessed(engine: OcrEngine) -> None:
    fields = await read(engine, {"name": "x"}, {}, seed=5)
    assert fields["name"] == FieldValue(
        value=None, confidence=0.0, needs_review=True, review_reason="handwritten_text"
    )
    shown = DocumentResult(document_id="d1", status="completed", fields=fields).public()
    assert shown["fields"]["name"]["review_reason"] == "handwritten_text"  # type: ignore[index]
    assert "review_reason" not in shown["fields"]["agree"]  # type: ignore[index]


def _template(field: dict[str, Any]) -> FormTemplate:
    return FormTemplate.model_validate({"id": "t", "name": "t", "fields": [field]})


CHOICE = {
    "name": "who",
    "label": "申請者",
    "kind": "choice",
    "box_mm": [10, 10, 80, 16],
    "options": [
        {"value": "本人", "box_mm": [12, 12, 28, 12]},
        {"value": "代理人", "box_mm": [45, 12, 30, 12]},
    ],
}


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ({**CHOICE, "options": CHOICE["options"][:1]}, "at least two options"),
        ({**CHOICE, "options": [CHOICE["options"][0]] * 2}, "option values must differ"),
        (
            {
                **CHOICE,
                "options": [*CHOICE["options"], {"value": "他", "box_mm": [200, 12, 30, 8]}],
            },
            "outside the page",
        ),
        (
            {
                **CHOICE,
                "options": [{"value": "本人", "box_mm": [1, 1, 0, 5]}, CHOICE["options"][1]],
            },
            "width, height > 0",
        ),
        ({"name": "n", "label": "n", "kind": "text", "cells": 5, "box_mm": [1, 1, 50, 8]}, "cells"),
        (
            {"name": "n", "label": "n", "kind": "text", "multiple": True, "box_mm": [1, 1, 5, 5]},
            "for choice fields",
        ),
        (
            {"name": "n", "label": "n", "kind": "digits", "cells": 0, "box_mm": [1, 1, 5, 5]},
            "greater than or equal to 1",
        ),
    ],
)
def test_bad_hand_keys_are_refused_naming_the_problem(field: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _template(field)


def test_the_example_template_describes_every_new_key() -> None:
    raw = json.loads((handforms.EXAMPLES / "tegaki-v1.json").read_text("utf-8"))
    keys = {key for field in raw["fields"] for key in field}
    assert {"hand", "cells", "options", "multiple"} <= keys
    assert template().fields[1].cells == 10


@pytest.mark.parametrize(
    ("kind", "cells", "text"),
    [
        ("katakana", "ヤマ ダ", "ヤマ ダ"),  # one empty cell between letters is a space
        ("katakana", "ヤマ  ダ", "ヤマダ"),  # two are not
        ("katakana", " ヤマ ", "ヤマ"),
        ("integer", "  5", "5"),  # right-aligned
        ("digits", "12 34", "1234"),
    ],
)
def test_comb_text_skips_empty_cells(kind: str, cells: str, text: str) -> None:
    guesses = tuple(CellGuess(ink=c != " ", first=c.strip()) for c in cells)
    assert comb_text(kind, guesses) == text


@pytest.mark.parametrize(
    ("cells", "gap"), [("1 2", True), ("12 ", False), ("  12", False), ("1  2", True), ("", False)]
)
def test_a_number_with_an_empty_cell_inside_has_a_gap(cells: str, gap: bool) -> None:
    guesses = tuple(CellGuess(ink=c != " ", first=c.strip()) for c in cells)
    assert has_gap(guesses) is gap


def test_a_choice_correction_must_be_a_printed_option() -> None:
    single = _template(CHOICE)
    assert checked_corrections(single, {"who": "代理人"}, TODAY) == {"who": "代理人"}
    with pytest.raises(CorrectionError, match="unknown_option"):
        checked_corrections(single, {"who": "家族"}, TODAY)
    several = _template({**CHOICE, "multiple": True})
    assert checked_corrections(several, {"who": ["代理人", "本人"]}, TODAY) == {
        "who": ["本人", "代理人"]
    }
    assert checked_corrections(several, {"who": "代理人、本人"}, TODAY) == {
        "who": ["本人", "代理人"]
    }
    with pytest.raises(CorrectionError, match="unknown_option"):
        checked_corrections(several, {"who": ["本人", 3]}, TODAY)


def _comb(cells: int, cell_mm: float, height_mm: float) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """A printed comb as cut by the worker (1 mm larger all round), its lines 3 px wide."""
    width, height = round((cells * cell_mm + 2) * PX_PER_MM), round((height_mm + 2) * PX_PER_MM)
    comb = np.full((height, width), 250, dtype=np.uint8)
    margin = round(PX_PER_MM)
    for i in range(cells + 1):
        x = margin + round(i * cell_mm * PX_PER_MM)
        comb[margin:-margin, x - 1 : x + 2] = 20
    comb[margin - 1 : margin + 2, margin:-margin] = 20
    comb[height - margin - 2 : height - margin + 1, margin:-margin] = 20
    return comb


def test_a_long_stroke_across_a_cell_is_kept_and_a_border_sliver_is_not() -> None:
    cell = np.full((100, 90), 250, dtype=np.uint8)
    cell[48:56, 10:80] = 0  # a bar across the middle, 78 % of the width (a 7's, a ー)
    cell[0:2, :] = 30  # the printed line's sliver at the top edge
    cleaned = clear_edge_lines(cell, threshold=128)
    assert (cleaned[0:2, :] == 255).all()
    assert (cleaned[48:56, 10:80] == 0).all()


def test_a_long_mark_filling_a_kana_cell_is_read_not_lost() -> None:
    comb = _comb(3, 10.0, 10.0)
    margin, cell = round(PX_PER_MM), round(10 * PX_PER_MM)
    left, middle = margin + cell + round(0.15 * cell), margin + cell // 2
    comb[middle - 4 : middle + 4, left : left + round(0.7 * cell)] = 10  # ー in the second cell
    guesses = read_cells((0, 0, 30, 10), 3, "katakana", lambda box, inset: comb, 128)
    assert [guess.ink for guess in guesses] == [False, True, False]
    assert guesses[1].first == "ー"


@pytest.mark.parametrize(
    ("mark", "marked", "sure"),
    [
        (Mark(0.0, 0.0, 0), False, True),  # nothing
        (Mark(0.6, 0.9, 1, 2.0), False, True),  # a dot
        (Mark(5.4, 19.0, 1, 0.85), False, True),  # a long line grazing one edge
        (Mark(1.8, 6.8, 1, 3.3), True, True),  # a cross drawn high: only the top of the ring
        (Mark(1.7, 6.8, 2, 3.3), True, True),  # a small cross through the label, thin pen
        (Mark(9.0, 20.0, 4, 1.0), True, True),  # a circle round the label
        (Mark(1.0, 2.5, 2, 1.0), False, False),  # a little ink on two sides: staff decide
    ],
)
def test_a_ring_mark_is_decided_by_area_spread_sides_and_depth(
    mark: Mark, marked: bool, sure: bool
) -> None:
    state = ring_state(mark)
    assert (state.marked, state.sure) == (marked, sure)


def test_a_date_the_calendar_refuses_is_offered_with_one_cell_read_as_its_runner_up() -> None:
    birth = template().fields[2]
    assert birth.kind == "date"
    sure = [CellGuess(True, c, 0.99, "7", 0.01) for c in "19631"]
    month_end = CellGuess(True, "3", 0.55, "2", 0.40)  # 13th month; 12 came close
    day = [CellGuess(True, "2", 0.99, "7", 0.01), CellGuess(True, "5", 0.6, "6", 0.3)]
    value = comb_value(birth, (*sure, month_end, *day), True, TODAY, None)
    assert (value.value, value.needs_review, value.review_reason) == (
        "1963-12-25",
        True,
        "implausible",
    )


def test_the_development_digits_are_neither_held_out_nor_trained_on() -> None:
    split = split_of(1000)
    held_out, dev = np.flatnonzero(split == "held_out"), np.flatnonzero(split == "dev")
    assert (held_out == np.arange(0, 1000, 5)).all()  # the held-out fifth is the one benched
    assert dev.size == 100 and not np.isin(dev, held_out).any()
    assert (split == "train").sum() == 700


def test_a_digit_the_model_gives_less_than_ninety_five_percent_flags_its_field() -> None:
    copies = template().fields[5]
    assert copies.name == "copies"
    sure, unsure = CellGuess(True, "1", 0.99, "7", 0.005), CellGuess(True, "2", 0.93, "7", 0.02)
    assert not comb_value(copies, (sure, sure), True, TODAY, None).needs_review
    value = comb_value(copies, (sure, unsure), True, TODAY, None)
    assert (value.value, value.needs_review, value.review_reason) == (12, True, "low_confidence")
