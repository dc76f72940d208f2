"""Ruled tables on pages read without a template: found from their rules, read cell by cell,
given row by row (cells left to right, a tab between them); a page without one is untouched."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from handlers.ocr.pipeline import read_scan
from handlers.shared.uploads import Limits
from infra.ocr import imaging, tables, worker
from infra.ocr.engine import OcrEngine
from infra.ocr.page import SMALL_FACTOR, SMALL_INK
from infra.ocr.tesseract import PX_PER_MM
from tests.ocr.corpus import (
    TextPage,
    filled_form,
    render_form,
    save_pdf,
    text_page,
    vertical_page,
)
from tests.ocr.metrics import cer, comparable
from tests.ocr.report_corpus import REPORT_TEMPLATE
from tests.ocr.table_corpus import labelled_table_page, table_page

TODAY = date(2026, 11, 1)


@cache
def plain_page() -> TextPage:
    return text_page(330, lines=12)


async def read_texts(engine: OcrEngine, data: bytes) -> list[str]:
    result, refusal = await read_scan(engine, "table-doc", data, None, Limits(), TODAY)
    assert refusal is None
    return [page.text for page in result.pages]


async def read_text(engine: OcrEngine, data: bytes) -> str:
    (text,) = await read_texts(engine, data)
    return text


async def test_a_ruled_table_is_read_row_by_row(engine: OcrEngine, tmp_path: Path) -> None:
    source = table_page(10, rows=3)  # 氏名, 続柄, 生年月日, 性別: 3 rows of 4 cells
    assert (len(source.cells), len(source.cells[0])) == (3, 4)
    # The same page fed upside down too: a grid looks the same either way up, its cells don't.
    upside_down = source.image.transpose(Image.Transpose.ROTATE_180)
    data = save_pdf([source.image, upside_down], tmp_path / "t.pdf").read_bytes()
    for text in await read_texts(engine, data):
        lines = text.splitlines()
        rows = [line.split("\t") for line in lines if "\t" in line]
        assert [len(row) for row in rows] == [4, 4, 4], text  # each row, each cell in its column
        right = sum(
            comparable(got) == comparable(want)
            for row, truth in zip(rows, source.cells, strict=True)
            for got, want in zip(row, truth, strict=True)
        )
        assert right >= 11, text  # one misread cell allowed (12/12 both ways when written)
        # The title comes before the table and the note after it.
        assert cer(source.title, lines[0]) <= 0.2, text
        assert cer(source.note, lines[-1]) <= 0.1, text
        assert cer(source.truth, text) <= 0.05, text


async def test_a_merged_cell_and_a_vertical_label(engine: OcrEngine, tmp_path: Path) -> None:
    source = labelled_table_page(12)
    text = await read_text(engine, save_pdf([source.image], tmp_path / "l.pdf").read_bytes())
    rows = [line.split("\t") for line in text.splitlines() if "\t" in line]
    assert [len(row) for row in rows] == [3, 3, 3, 3], text  # the merged cell keeps its place
    assert [row[0] for row in rows] == ["申請者", "", "", ""], text  # read down, given once
    read = "\n".join("\t".join(row) for row in rows)
    assert cer("\n".join("\t".join(row) for row in source.cells), read) <= 0.05, text


async def test_a_page_without_rules_reads_as_before(
    engine: OcrEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = save_pdf([plain_page().image], tmp_path / "p.pdf").read_bytes()
    now = await read_text(engine, data)
    monkeypatch.setattr(tables, "find_tables", lambda *_args, **_kw: [])
    before = await read_text(engine, data)  # the reading with no table step at all
    assert now == before
    assert "\t" not in now and len(comparable(now)) > 200, now


def _found(image: object) -> list[tables.Table]:
    page = worker._plain_paper(image)  # type: ignore[arg-type]
    small = imaging.downscale(page, SMALL_FACTOR)
    straight = imaging.rotate(small, imaging.estimate_skew(small))
    mask = imaging.ink(np.asarray(straight), SMALL_INK)
    return tables.find_tables(mask, PX_PER_MM / SMALL_FACTOR, SMALL_FACTOR)


def test_pages_without_a_grid_have_no_table() -> None:
    assert len(_found(table_page(11, rows=5).image)) == 1  # the check sees a real one
    plain = [
        plain_page().image,  # (two columns: tests/ocr/test_quality.py reads one by its blocks)
        vertical_page(333).image,
        filled_form(335).image,  # boxes side by side are fields, not a table
        render_form(REPORT_TEMPLATE, {"family_name": "森", "members": "3"}),
    ]
    assert [_found(image) for image in plain] == [[]] * len(plain)


def _grid(
    shape: tuple[int, int],
    horizontal: list[tuple[int, int, int]],
    vertical: list[tuple[int, int, int]],
) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    for y, x0, x1 in horizontal:
        mask[y, x0:x1] = True
    for x, y0, y1 in vertical:
        mask[y0:y1, x] = True
    return mask


@pytest.mark.parametrize(
    ("horizontal", "vertical", "lefts"),
    [
        # 3 rows x 3 columns
        ([(10, 10, 130), (30, 10, 130), (50, 10, 130), (70, 10, 130)],
         [(10, 10, 71), (50, 10, 71), (90, 10, 71), (129, 10, 71)],
         [[10, 50, 90], [10, 50, 90], [10, 50, 90]]),
        # the same with a piece of each rule seen again a little lower (a ragged thick rule):
        # one table, not a second one inside it, and no row between a rule and its piece
        ([(10, 10, 130), (30, 10, 130), (50, 10, 130), (70, 10, 130),
          (13, 50, 130), (33, 50, 130), (53, 50, 130), (73, 50, 130)],
         [(10, 10, 71), (50, 10, 74), (90, 10, 74), (129, 10, 71)],
         [[10, 50, 90], [10, 50, 90], [10, 50, 90]]),
        # the first row one cell across the table (its inner rules start below it)
        ([(10, 10, 130), (30, 10, 130), (50, 10, 130)],
         [(10, 10, 51), (70, 30, 51), (129, 10, 51)], [[10], [10, 70]]),
        # the first column's last two rows one cell (the rule between them starts at x 50):
        # given in its first row, an empty place (None) in the next
        ([(10, 10, 130), (30, 10, 130), (50, 50, 130), (70, 10, 130)],
         [(10, 10, 71), (50, 10, 71), (90, 10, 71), (129, 10, 71)],
         [[10, 50, 90], [10, 50, 90], [None, 50, 90]]),
        # text in a cell leaves a long run; it does not start on a rule: not a row boundary
        ([(10, 10, 130), (30, 10, 130), (50, 10, 130), (40, 14, 40)],
         [(10, 10, 51), (70, 10, 51), (129, 10, 51)], [[10, 70], [10, 70]]),
        # a single row: a box, not a table
        ([(10, 10, 130), (30, 10, 130)], [(10, 10, 31), (70, 10, 31), (129, 10, 31)], None),
        # rules that do not meet at the edges: underlines, not a table
        ([(10, 10, 130), (30, 10, 130), (50, 10, 130)], [(70, 10, 51)], None),
        # one column: a list of boxes, not a table
        ([(10, 10, 130), (30, 10, 130), (50, 10, 130)], [(10, 10, 51), (129, 10, 51)], None),
    ],
)  # fmt: skip
def test_cells_follow_the_rules(
    horizontal: list[tuple[int, int, int]],
    vertical: list[tuple[int, int, int]],
    lefts: list[list[int | None]] | None,
) -> None:
    found = tables.find_tables(_grid((90, 150), horizontal, vertical), px_per_mm=1.0)
    if lefts is None:
        assert found == []
        return
    (table,) = found
    assert [[None if cell is None else cell[0] for cell in row] for row in table.rows] == lefts
    first = table.rows[0][0]
    assert first is not None and abs(first[1] - 10) <= 2  # where the top rule is
