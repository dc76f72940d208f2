"""A one-character box of digits whose reading gave no digit (`infra/ocr/lone_digit.py`): a
thin "1" read as nothing is shown from two readings again, still for staff; a stray mark is
never shown as a digit, whatever the engine names it ("|" was shown as 1)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from handlers.ocr.pipeline import read_scan
from handlers.shared.uploads import Limits
from infra.ocr import lone_digit
from infra.ocr.engine import OcrEngine
from infra.ocr.pool import serial_pool
from schemas.forms import FormField, FormTemplate
from schemas.ocr import DocumentResult
from tests.ocr.corpus import A4_PX, font, font_path, mm, save_pdf, scan_look
from tests.ocr.dev_corpus import FACES as DEV_FACES
from tests.ocr.one_read import read_dev_form

TODAY = date(2026, 11, 1)
THRESHOLD = 160  # a clean white page's (`ink.page_levels`)
# Stray marks, each alone in a one-character integer box (12 x 11 mm, thinly bordered, as a
# development form's 児童数): long thin lines (6-8 mm) and short strokes (2-2.3 mm), upright,
# at three places across the box. Read before the mark's shape was asked, the engine named
# two of them "|" and "1" (8 mm by 0.35, and 2 mm by 0.35), and they were shown as 1.
STRAYS = tuple(
    (left, length, width)
    for length, width in ((6, 0.3), (7, 0.3), (8, 0.25), (8, 0.35), (2.0, 0.35), (2.3, 0.4))
    for left in (4.0, 5.5, 7.0)
)
TEMPLATE = FormTemplate(
    id="lone-marks",
    name="児童数の届",
    fields=tuple(
        FormField(
            name=f"mark_{n}",
            label="児童数",
            kind="integer",
            box_mm=(30.0 + 30.0 * (n % 5), 40.0 + 20.0 * (n // 5), 12.0, 11.0),
        )
        for n in range(len(STRAYS))
    ),
)


@pytest.fixture(scope="module")
async def strays(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DocumentResult]:
    page = Image.new("L", A4_PX, 255)
    draw = ImageDraw.Draw(page)
    for spec, (left, length, width) in zip(TEMPLATE.fields, STRAYS, strict=True):
        x, y, w, h = spec.box_mm
        draw.rectangle((mm(x), mm(y), mm(x + w), mm(y + h)), outline=0, width=2)
        top, bottom = mm(y + h / 2 - length / 2), mm(y + h / 2 + length / 2)
        draw.line((mm(x + left), top, mm(x + left), bottom), fill=0, width=mm(width))
    folder = tmp_path_factory.mktemp("lone")
    data = save_pdf([scan_look(page, random.Random(4))], folder / "marks.pdf").read_bytes()
    engine = OcrEngine(serial_pool())
    try:
        read, refusal = await read_scan(engine, "marks-doc", data, TEMPLATE, Limits(), TODAY)
    finally:
        engine.close()
    assert refusal is None
    yield read


def test_a_stray_stroke_or_line_is_never_shown_as_a_digit(strays: DocumentResult) -> None:
    for spec, mark in zip(TEMPLATE.fields, STRAYS, strict=True):
        field = strays.fields[spec.name]
        assert (field.value, field.needs_review) == (None, True), (mark, field)


def test_a_lone_one_read_as_nothing_is_shown_for_staff(tmp_path: Path) -> None:
    """Development form 1493 (NotoSans CJK): its 児童数 "1" came back empty as one glyph and
    as a line; read again, as one character at 0.4 and as a raw line at 0.5, it is 1 both
    times. Shown, and still sent to staff as unread."""
    made, result = read_dev_form(1493, tmp_path)
    field = result.fields["children"]
    assert made.expected["children"] == 1
    assert (field.value, field.needs_review, field.review_reason) == (1, True, "ink_unread")


def glyph(text: str, face: Path, size_mm: float = 4.2) -> np.ndarray:
    """`text` printed in a box's interior (12 x 10 mm, white), as the worker cuts it."""
    page = Image.new("L", (mm(12), mm(10)), 255)
    top = mm(5) - mm(size_mm / 2) - mm(0.3)
    ImageDraw.Draw(page).text((mm(3), top), text, font=font(size_mm, face), fill=0)
    return np.asarray(page)


def stroke(length_mm: float, lean_mm: float = 0.0, width_mm: float = 0.35) -> np.ndarray:
    page = Image.new("L", (mm(12), mm(10)), 255)
    top, bottom = mm(5 - length_mm / 2), mm(5 + length_mm / 2)
    line = (mm(5 + lean_mm), top, mm(5), bottom)
    ImageDraw.Draw(page).line(line, fill=0, width=mm(width_mm))
    return np.asarray(page)


@pytest.mark.parametrize("face", [face for face, _ in DEV_FACES] + [font_path()])
def test_a_printed_digit_is_a_digits_mark(face: Path) -> None:
    for digit in "0123456789":
        assert lone_digit.digit_mark(glyph(digit, face), THRESHOLD) is not None, digit


@pytest.mark.parametrize(
    "mark",
    [
        stroke(2.0),  # short
        stroke(3.0),  # a digit's height, but bare
        stroke(3.0, lean_mm=1.0),  # leaning
        stroke(8.0, width_mm=0.25),  # a long thin line
        stroke(0.6, width_mm=0.8),  # a dot
    ],
)
def test_a_stroke_or_a_dot_is_no_digits_mark(mark: np.ndarray) -> None:
    assert lone_digit.digit_mark(mark, THRESHOLD) is None
