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
from infra.ocr.readings import FieldBox
from schemas.forms import FormField, FormTemplate
from tests.ocr.corpus import mm, render_form, save_pdf, scan_look
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
