"""Single boxes a municipal form is full of, printed in a face the pipeline was never tuned
on (IPAexMincho) and scanned dark, read through the real worker: blank is decided by ink, a
lone digit is read, and what cannot be trusted says why (`review_reason`).

One page holds every case, so the whole module costs one page read.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from handlers.ocr.pipeline import read_scan
from handlers.shared.uploads import Limits
from infra.ocr.engine import OcrEngine
from infra.ocr.pool import serial_pool
from schemas.forms import FormField, FormTemplate
from schemas.ocr import DocumentResult
from tests.ocr.corpus import MINCHO, mm, render_form, save_pdf, scan_look

TODAY = date(2026, 11, 1)


def box(name: str, kind: str, y: float, width: float = 40.0) -> FormField:
    return FormField(name=name, label=name, kind=kind, box_mm=(60.0, y, width, 14.0))  # type: ignore[arg-type]


TEMPLATE = FormTemplate(
    id="single-boxes",
    name="交付申請書（単票）",
    fields=(
        box("copies_one", "integer", 40),
        box("copies_seven", "integer", 62),
        box("left_blank", "integer", 84),
        box("stray_mark", "integer", 106),
        box("impossible_date", "date", 128, 100),
        box("future_date", "date", 150, 100),
        box("blank_text", "text", 172, 100),
    ),
)
WRITTEN: dict[str, str | bool] = {
    "copies_one": "1",
    "copies_seven": "7",
    "impossible_date": "令和7年2月30日",
    "future_date": "令和18年4月1日",
}


@cache
def page_pdf(tmp: Path) -> bytes:
    page = render_form(TEMPLATE, WRITTEN, MINCHO)
    x, y, _, h = TEMPLATE.fields[3].box_mm
    # A stray mark: a short pen stroke (2 mm, 0.4 mm wide) where nothing else was written.
    ImageDraw.Draw(page).line(
        (mm(x + 12), mm(y + h / 2), mm(x + 13.4), mm(y + h / 2 - 1.4)), fill=0, width=mm(0.4)
    )
    return save_pdf([dark(scan_look(page, random.Random(12)))], tmp / "one.pdf").read_bytes()


def dark(page: Image.Image) -> Image.Image:
    """A dark, grainy scan: paper at gray 150 with noise, ink at 40. A fixed ink threshold
    of 128 sees grain in every blank box; one fitted to the page does not."""
    pixels = np.asarray(page, dtype=np.float32) * (110 / 255) + 40
    grain = np.random.default_rng(12).normal(0, 14, pixels.shape)
    return Image.fromarray(np.clip(pixels + grain, 0, 255).astype(np.uint8))


@pytest.fixture(scope="module")
async def result(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DocumentResult]:
    engine = OcrEngine(serial_pool())
    try:
        data = page_pdf(tmp_path_factory.mktemp("fields"))
        read, refusal = await read_scan(engine, "fields-doc", data, TEMPLATE, Limits(), TODAY)
    finally:
        engine.close()
    assert refusal is None
    assert set(read.fields) == {f.name for f in TEMPLATE.fields}  # every box was read
    yield read


def test_a_one_digit_box_is_read(result: DocumentResult) -> None:
    for name, digit in (("copies_one", 1), ("copies_seven", 7)):
        field = result.fields[name]
        assert field.value == digit, (name, field)
        assert not field.needs_review, (name, field)


def test_a_blank_box_is_blank_with_confidence(result: DocumentResult) -> None:
    for name, empty in (("left_blank", None), ("blank_text", "")):
        field = result.fields[name]
        assert (field.value, field.confidence, field.needs_review) == (empty, 100.0, False), name
        assert field.review_reason is None


def test_a_stray_mark_is_sent_to_review_not_taken_as_blank(result: DocumentResult) -> None:
    field = result.fields["stray_mark"]
    assert field.value is None
    assert field.needs_review
    assert field.review_reason == "ink_unread"


def test_an_impossible_or_future_date_is_flagged_implausible(result: DocumentResult) -> None:
    for name in ("impossible_date", "future_date"):
        field = result.fields[name]
        assert field.needs_review, (name, field)
        assert field.review_reason == "implausible", (name, field)
