"""縦書き pages of several blocks: each block read in its own direction, top to bottom."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from handlers.ocr.pipeline import read_scan
from handlers.shared.uploads import Limits
from infra.ocr.blocks import bands
from infra.ocr.engine import OcrEngine
from tests.ocr.corpus import save_pdf
from tests.ocr.layout_corpus import two_block_vertical_page
from tests.ocr.metrics import cer
from tests.ocr.report_corpus import report_vertical_page

TODAY = date(2026, 11, 1)
# Measured when set (IPAexGothic, seeds 1-3): 0.0-1.0 % a heading over a body, 0.3-4.1 % two
# blocks; read as one vertical block, as before, 9-13 % and 61-68 %.
MAX_CER = 0.05


async def read_text(engine: OcrEngine, data: bytes) -> str:
    result, refusal = await read_scan(engine, "blocks-doc", data, None, Limits(), TODAY)
    assert refusal is None
    (page,) = result.pages
    return page.text


async def test_a_heading_and_two_vertical_blocks_are_read_in_order(
    engine: OcrEngine, tmp_path: Path
) -> None:
    source = two_block_vertical_page(3, heading=True)
    text = await read_text(engine, save_pdf([source.image], tmp_path / "b.pdf").read_bytes())
    heading = source.truth.splitlines()[0]
    assert cer(heading, text.splitlines()[0]) <= 0.1, text  # read across, and first
    assert cer(source.truth, text) <= MAX_CER, text  # then the upper block, then the lower


async def test_one_long_column_on_a_specked_page_stays_in_its_block(
    engine: OcrEngine, tmp_path: Path
) -> None:
    """A regression guard, not a figure: on this page one column runs far below the others,
    over a dark scan's specks. Found at 75 dpi its foot was a block of its own, read across
    (CER 7.5 %; as one block 0.4 %)."""
    image, truth = report_vertical_page(30_002)
    text = await read_text(engine, save_pdf([image], tmp_path / "v.pdf").read_bytes())
    assert cer(truth, text) <= 0.03, text


@pytest.mark.parametrize(
    ("inked_rows", "expected"),
    [
        ([], []),
        ([(10, 20)], [(0, 40)]),  # one block: the whole page
        ([(10, 20), (24, 30)], [(0, 40)]),  # a gap of 3 rows is inside a block
        # 10 blank rows (the speck at row 15 is not ink): two blocks, cut in the middle
        ([(5, 10), (20, 30)], [(0, 14), (14, 40)]),
    ],
)
def test_bands_split_at_wide_blank_strips(
    inked_rows: list[tuple[int, int]], expected: list[tuple[int, int]]
) -> None:
    mask = np.zeros((40, 50), dtype=bool)
    for top, bottom in inked_rows:
        mask[top:bottom, 5:45] = True
    mask[15, 3] = True  # one speck pixel: under min_ink
    assert bands(mask, min_gap=5) == expected
