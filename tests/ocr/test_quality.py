"""Quality floors of the OCR on a small generated corpus, through the real worker.

Each floor sits a little below what this corpus measured when it was set, so a change that
makes reading worse fails here; `make bench` measures the same figures on a larger corpus
beside the project's targets. Everything is seeded, so every run reads the same pixels.

Measured with tessdata_fast jpn (eng for digit fields) when the floors were set:
- the 10 forms below: 87/90 fields exact; two names misread and flagged (渡辺 誠 as 波辺計,
  吉田 大輔 without its space), one name in kana read without its space and not flagged;
  `make bench` on 100 other forms: 98.9 % exact, 0.11 % wrong-but-unflagged (fields were then
  read twice, at 0.6 and 0.7 scale; since issue 12 once, with a lone digit checked twice);
- the 3 text pages: CER 1.0 %, 4.3 % (Tesseract drops the whole first line), 0.5 %;
- upside down: turned after OSD, confidence 90, CER 0.5 %; turned by 2.5°: skew found as
  -2.85° (true -2.81°), confidence 91, CER 0.5 %;
- the 3-page PDF of 4-line pages: each page's text is its own.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import pytest
from PIL import Image

from handlers.ocr.pipeline import read_scan
from handlers.ocr.reading import plan_pages
from handlers.shared.uploads import Limits
from infra.ocr.engine import OcrEngine
from infra.ocr.readings import PageReading
from schemas.forms import FormTemplate
from schemas.ocr import DocumentResult
from tests.ocr.corpus import (
    TextPage,
    filled_form,
    load_template,
    save_pdf,
    text_page,
    two_column_page,
)
from tests.ocr.metrics import cer, score_fields, total_score, wrong_fields

TODAY = date(2026, 11, 1)
FORM_SEEDS = range(300, 310)
PAGE_SEEDS = (300, 301, 302)
PAGE_LINES = 12

# Floors (see the module docstring for what was measured).
MIN_FIELDS_EXACT = 0.94  # of the 90 fields: at most 5 misread (3 now)
MAX_WRONG_UNFLAGGED = 0.023  # at most 2 misread fields without needs_review (1 now)
MAX_MEAN_CER = 0.025
MAX_PAGE_CER = 0.05
MIN_PAGE_CONFIDENCE = 85.0


@cache
def template() -> FormTemplate:
    return load_template()


@cache
def page(seed: int, lines: int = PAGE_LINES) -> TextPage:
    return text_page(seed, lines)


def pdf_bytes(images: list[Image.Image], tmp_path: Path, name: str = "scan.pdf") -> bytes:
    return save_pdf(images, tmp_path / name).read_bytes()


async def read(
    engine: OcrEngine, data: bytes, template: FormTemplate | None = None
) -> DocumentResult:
    result, refusal = await read_scan(engine, "quality-doc", data, template, Limits(), TODAY)
    assert refusal is None, refusal
    assert result.status == "completed"
    return result


async def read_one_page(engine: OcrEngine, data: bytes) -> PageReading:
    """The worker's own reading of a one-page PDF (orientation and skew included)."""
    async with engine.staged(data) as path:
        (reading,) = await engine.read_pages(plan_pages(path, "pdf", 1, None))
    return reading


async def test_filled_forms_read_above_the_floor(engine: OcrEngine, tmp_path: Path) -> None:
    scores, misread = [], {}
    for seed in FORM_SEEDS:
        form = filled_form(seed, template())
        result = await read(engine, pdf_bytes([form.image], tmp_path), template())
        assert set(result.fields) == set(form.expected)
        scores.append(score_fields(form.expected, result))
        if wrong := wrong_fields(form.expected, result):
            misread[seed] = wrong
    total = total_score(scores)
    assert total.total == 9 * len(FORM_SEEDS)
    assert total.exact_rate >= MIN_FIELDS_EXACT, (total, misread)
    assert total.wrong_unflagged_rate <= MAX_WRONG_UNFLAGGED, (total, misread)


async def test_text_pages_read_within_the_cer_floor(engine: OcrEngine, tmp_path: Path) -> None:
    rates = []
    for seed in PAGE_SEEDS:
        result = await read(engine, pdf_bytes([page(seed).image], tmp_path))
        (only,) = result.pages
        rates.append(cer(page(seed).truth, only.text))
        assert only.confidence >= MIN_PAGE_CONFIDENCE, (seed, only.confidence)
    assert max(rates) <= MAX_PAGE_CER, rates
    assert sum(rates) / len(rates) <= MAX_MEAN_CER, rates


async def test_an_upside_down_page_is_turned_by_osd_and_read(
    engine: OcrEngine, tmp_path: Path
) -> None:
    source = page(PAGE_SEEDS[0])
    reading = await read_one_page(engine, pdf_bytes([source.image.rotate(180)], tmp_path))
    # Read upside down, the LSTM's confidence falls below the worker's threshold, it asks
    # OSD, turns the page by what OSD says and keeps the better of the two readings.
    assert reading.orientation_degrees == 180, reading.confidence
    assert reading.confidence >= MIN_PAGE_CONFIDENCE
    assert cer(source.truth, reading.text) <= MAX_PAGE_CER


async def test_a_page_turned_by_two_and_a_half_degrees_is_deskewed(
    engine: OcrEngine, tmp_path: Path
) -> None:
    source = page(PAGE_SEEDS[2])  # the scan look had already turned it by 0.31°
    turned = source.image.rotate(2.5, resample=Image.Resampling.BICUBIC, fillcolor=255)
    reading = await read_one_page(engine, pdf_bytes([turned], tmp_path))
    assert reading.skew_degrees == pytest.approx(-2.81, abs=0.2)  # straightened before reading
    assert reading.orientation_degrees == 0
    assert reading.confidence >= MIN_PAGE_CONFIDENCE
    assert cer(source.truth, reading.text) <= MAX_PAGE_CER


async def test_a_multi_page_pdf_gives_each_page_its_text_in_order(
    engine: OcrEngine, tmp_path: Path
) -> None:
    sources = [page(seed, 4) for seed in (310, 311, 312)]
    result = await read(engine, pdf_bytes([s.image for s in sources], tmp_path))
    assert len(result.pages) == 3
    for n, source in enumerate(sources):
        rates = [cer(source.truth, other.text) for other in result.pages]
        assert rates[n] <= MAX_PAGE_CER, rates
        assert min(range(3), key=rates.__getitem__) == n, rates  # its own page, not another


async def test_a_form_fed_upside_down_is_turned_and_read(engine: OcrEngine, tmp_path: Path) -> None:
    form = filled_form(FORM_SEEDS[0], template())
    result = await read(engine, pdf_bytes([form.image.rotate(180)], tmp_path), template())
    score = score_fields(form.expected, result)
    assert score.exact >= len(form.expected) - 1, wrong_fields(form.expected, result)
    assert score.wrong_unflagged == 0


async def test_a_form_scanned_five_degrees_crooked_is_read(
    engine: OcrEngine, tmp_path: Path
) -> None:
    form = filled_form(FORM_SEEDS[1], template())
    crooked = form.image.rotate(5.0, resample=Image.Resampling.BICUBIC, fillcolor=255)
    result = await read(engine, pdf_bytes([crooked], tmp_path), template())
    score = score_fields(form.expected, result)
    # Its true skew is -5.106°: found as -5.05° the name 渡辺 誠 read right, found as -5.10°
    # (the projection-point search) it reads 渡辺 計 and its kana マコユト, both flagged. A
    # reading that flips on 0.05° is fragile, not wrong-and-silent: two flagged misses allowed.
    assert score.exact >= len(form.expected) - 2, wrong_fields(form.expected, result)
    assert score.wrong_unflagged == 0


async def test_a_two_column_page_is_read_column_by_column(
    engine: OcrEngine, tmp_path: Path
) -> None:
    source = two_column_page(320)
    reading = await read_one_page(engine, pdf_bytes([source.image], tmp_path))
    left_then_right = cer(source.truth, reading.text)
    lines = source.truth.splitlines()
    half = len(lines) // 2
    row_by_row = "\n".join(a + b for a, b in zip(lines[:half], lines[half:], strict=True))
    # Tesseract's own layout analysis finds the columns as blocks: no step of ours may undo it.
    assert left_then_right <= MAX_PAGE_CER, reading.text
    assert cer(row_by_row, reading.text) > 10 * left_then_right + 0.1, reading.text
