"""Amounts in yen ("468,000円") on a form printed in VL Gothic, a face the pipeline was not tuned
on, read through the real worker: the digit model cannot read 円, and reading it with the digits
sent nearly every amount to review with every digit right.

One page holds every case, so the module costs one page read.
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from handlers.ocr.reading import assemble, field_value, plan_pages
from infra.ocr import fields, imaging, tesseract, worker
from infra.ocr.page import SMALL_FACTOR
from infra.ocr.readings import FieldBox, PageTask
from schemas.forms import FormField, FormTemplate
from tests.ocr.corpus import mm, render_form, save_pdf, scan_look
from tests.ocr.dev_corpus import FACES as DEV_FACES
from tests.ocr.one_read import read_one_box

TODAY = date(2026, 11, 1)
DATA = Path(__file__).parent / "data"
# Debian's fonts-vlgothic (`make test` installs it with the other faces, `make fonts`).
VL_GOTHIC = Path("/usr/share/fonts/truetype/vlgothic/VL-Gothic-Regular.ttf")
AMOUNTS = {"income": "468,000円", "rent": "824,000円", "fee": "12,500"}
TEMPLATE = FormTemplate(
    id="amounts",
    name="所得申告",
    fields=tuple(
        FormField(name=name, label=name, kind="integer", box_mm=(60, 40 + 18 * n, 50, 12))
        for n, name in enumerate(AMOUNTS)
    ),
)


def test_amounts_in_yen_are_read_and_trusted(tmp_path: Path) -> None:
    page = scan_look(render_form(TEMPLATE, dict(AMOUNTS), VL_GOTHIC), random.Random(3))
    path = save_pdf([page], tmp_path / "form.pdf")
    (task,) = plan_pages(str(path), "pdf", 1, TEMPLATE)
    result = assemble("amounts", TEMPLATE, [worker.read_page(task)], TODAY)
    got = {name: (f.value, f.needs_review) for name, f in result.fields.items()}
    assert got == {"income": (468000, False), "rent": (824000, False), "fee": (12500, False)}, (
        result.fields
    )


def _typed(text: str) -> np.ndarray:
    crop = Image.new("L", (mm(50), mm(8)), 255)
    face = ImageFont.truetype(str(VL_GOTHIC), mm(4.2))
    ImageDraw.Draw(crop).text((mm(2), mm(1.5)), text, font=face, fill=0)
    return np.asarray(crop).copy()


def test_only_a_trailing_yen_is_whitened() -> None:
    with_unit, without = _typed("468,000円"), _typed("468,000")
    assert (fields._without_unit(with_unit, 128) < 128).sum() == (without < 128).sum()
    # Another full-width character stays: the digit model's reading then shows it.
    person = _typed("3人")
    assert np.array_equal(fields._without_unit(person, 128), person)


def test_a_yen_that_single_character_mode_misses_is_still_whitened() -> None:
    """A real crop: a clean Noto Sans 円 for which Tesseract's single-character mode returns
    nothing; read as a raw line, it is 円, and the digit model then reads the amount alone."""
    crop = np.asarray(Image.open(DATA / "noto-sans-amount-yen.png"))
    digits = fields._without_unit(crop, 192)
    assert (digits < 192).sum() < (crop < 192).sum()  # 円 gone
    patch = tesseract.scaled(Image.fromarray(imaging.pad(digits, 20)), fields.FIELD_SCALE)
    text, confidence = fields.read_line(patch, FieldBox("income", "integer", (0, 0, 50, 11)))
    assert text == "847,000" and confidence >= 80, (text, confidence)


def test_the_tallest_band_of_ink_leaves_a_speck_out() -> None:
    ink = np.zeros((30, 5), dtype=bool)
    ink[4:20, 1:4] = True  # the glyph
    ink[25:27, 2] = True  # a speck below it
    assert fields._tallest_band(ink) == (4, 20)


@pytest.mark.parametrize("written", ["10", "12", "45"])
def test_a_two_digit_count_whose_ink_is_one_glyph_long_is_read_and_trusted(written: str) -> None:
    """VL Gothic's digits are narrow: two of them are no wider than a kanji, so the box is read
    as one glyph. A reading of digits there stands as read, whatever the lone-digit rule
    (`fields._lone_digit`) asks of one character (a code review's probe: "12" read at 96 came
    back null, its two marks no one digit's)."""
    reading = read_one_box(written, VL_GOTHIC, 4.2, kind="integer")
    spec = FormField(name="name", label="児童数", kind="integer", box_mm=(10, 10, 90, 11))
    value = field_value(spec, reading, True, TODAY)
    assert (value.value, value.needs_review) == (int(written), False), (reading, value)


@pytest.mark.skipif(not all(path.is_file() for path, _ in DEV_FACES[:2]), reason="no Noto CJK")
@pytest.mark.parametrize(
    ("digit", "face", "stroke_mm"),
    [("2", DEV_FACES[0][0], 3.5), ("2", DEV_FACES[1][0], 3.5), ("7", DEV_FACES[0][0], 3.8)],
)
def test_a_digit_beside_a_stray_stroke_is_not_trusted_as_two_digits(
    digit: str, face: Path, stroke_mm: float
) -> None:
    """A count box holding a printed digit and a pen stroke beside it, its ink no wider than
    one glyph: read "21" or "71" at 87-94, it was trusted (a code review's probe, Noto Serif
    and Sans CJK). The stroke is no digit's mark (`lone_digit.marks_of_digits`)."""
    page = Image.new("L", (mm(60), mm(30)), 255)
    draw = ImageDraw.Draw(page)
    x, y, width, height = 10.0, 10.0, 14.0, 11.0
    draw.rectangle((mm(x), mm(y), mm(x + width), mm(y + height)), outline=0, width=2)
    top = mm(y + height / 2) - mm(2.1) - mm(0.3)
    draw.text((mm(x + 4), top), digit, font=ImageFont.truetype(str(face), mm(4.2)), fill=0)
    stroke_x = mm(x + 4 + stroke_mm)
    draw.line(
        (stroke_x, mm(y + height / 2 - 2), stroke_x, mm(y + height / 2 + 2)), fill=0, width=mm(0.35)
    )
    box = FieldBox("count", "integer", (x, y, width, height))
    small = imaging.downscale(page, SMALL_FACTOR)
    reading = fields.read_fields(page, small, PageTask("", "png", 0, (box,)), 0.0, (0, 0, True))
    spec = FormField(name="count", label="児童数", kind="integer", box_mm=(x, y, width, height))
    value = field_value(spec, reading.fields[0], True, TODAY)
    assert value.needs_review, (reading.fields[0], value)
    assert value.value in (None, int(digit)), value
