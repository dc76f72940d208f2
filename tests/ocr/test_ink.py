"""`infra.ocr.ink`: blank or written, decided on the pixels of one box."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from infra.ocr import imaging, ink, template
from infra.ocr.imaging import median3

DPI = 300
PX_PER_MM = DPI / 25.4


def px(value_mm: float) -> int:
    return round(value_mm * PX_PER_MM)


def paper(width_mm: float = 30, height_mm: float = 10) -> np.ndarray:
    return np.full((px(height_mm), px(width_mm)), 250, dtype=np.uint8)


def with_specks(crop: np.ndarray, count: int = 40) -> np.ndarray:
    rng = np.random.default_rng(7)
    out = crop.copy()
    ys, xs = rng.integers(0, crop.shape[0], count), rng.integers(0, crop.shape[1], count)
    out[ys, xs] = 20  # one-pixel dust
    return out


def with_border(crop: np.ndarray, thickness: int = 3) -> np.ndarray:
    out = crop.copy()
    out[:thickness, :] = out[-thickness:, :] = 0
    out[:, :thickness] = out[:, -thickness:] = 0
    return out


def with_stroke(crop: np.ndarray, x_mm: float, length_mm: float, width_mm: float = 0.3):
    out = crop.copy()
    y = crop.shape[0] // 2
    out[y - px(length_mm) // 2 : y + px(length_mm) // 2, px(x_mm) : px(x_mm) + px(width_mm)] = 0
    return out


@pytest.mark.parametrize(
    ("crop", "written"),
    [
        (paper(), False),
        (with_specks(paper()), False),
        (with_border(paper()), False),  # the printed border, clipped into the crop
        (with_border(with_specks(paper())), False),
        (with_stroke(paper(), 10, 3.0), True),  # the "1" of a one-digit box: 0.9 mm²
        (with_stroke(paper(), 10, 1.2), True),  # a short stray stroke must not pass as blank
        (with_border(with_stroke(paper(), 10, 3.0)), True),
        (with_stroke(paper(), 10, 0.3, 0.3), False),  # a 0.3 mm dot of dust: under the floor
    ],
)
def test_written_or_blank(crop: np.ndarray, written: bool) -> None:
    assert ink.measure(crop, DPI).written is written


def test_the_ink_box_is_where_the_stroke_is() -> None:
    measured = ink.measure(with_border(with_stroke(paper(), 10, 3.0)), DPI)
    assert measured.bbox is not None
    x, _, width, height = measured.bbox
    assert abs(x - px(10)) <= 1 and width <= px(0.3) + 1 and abs(height - px(3.0)) <= 2


def test_the_ink_box_spans_every_mark_exactly() -> None:
    """Two marks apart: the box runs from the first one's top left to the other's bottom right."""
    crop = paper()
    crop[30:60, 40:50] = 0
    crop[70:90, 200:230] = 0
    measured = ink.measure(crop, DPI)
    assert measured.bbox == (40, 30, 190, 60)
    # The 3x3 median takes each rectangle's four corner pixels: 900 - 8 pixels of ink.
    assert measured.area_mm2 == pytest.approx(892 / PX_PER_MM**2)


def test_the_same_mark_measures_alike_at_any_resolution() -> None:
    areas = []
    for dpi in (200, 300, 400):
        scale = dpi / 25.4
        crop = np.full((round(10 * scale), round(30 * scale)), 250, dtype=np.uint8)
        crop[round(3 * scale) : round(6 * scale), round(10 * scale) : round(10.5 * scale)] = 0
        areas.append(ink.measure(crop, dpi).area_mm2)
    assert max(areas) - min(areas) < 0.2 * min(areas), areas


def test_a_comb_is_measured_cell_by_cell_without_its_dividers() -> None:
    comb = paper(40, 10)  # four 10 mm cells
    for divider in (1, 2, 3):
        comb[:, px(10 * divider) - 1 : px(10 * divider) + 2] = 0
    comb = with_stroke(comb, 14, 4.0)  # cell 2
    comb = with_stroke(comb, 35, 4.0)  # cell 4
    cells = ink.measure_cells(comb, 4, DPI)
    assert [cell.written for cell in cells] == [False, True, False, True]


def test_measure_cells_refuses_zero_cells() -> None:
    with pytest.raises(ValueError, match="cells must be at least 1"):
        ink.measure_cells(paper(), 0, DPI)


@pytest.mark.parametrize(
    ("paper_level", "ink_level", "grain", "low", "high"),
    [
        (250, 10, 1.0, 110, 150),  # white paper
        (150, 40, 14.0, 70, 110),  # a dark grainy scan: grain stays paper
        (255, 150, 1.0, 190, 215),  # a light scan: faint ink stays ink
    ],
)
def test_the_threshold_follows_the_page(
    paper_level: int, ink_level: int, grain: float, low: int, high: int
) -> None:
    rng = np.random.default_rng(3)
    page = rng.normal(paper_level, grain, (400, 300))
    page[::20, :] = ink_level  # text lines: 5 % ink
    levels = ink.page_levels(np.clip(page, 0, 255).astype(np.uint8))
    assert low <= levels.threshold <= high, levels
    assert levels.plain is (paper_level >= 225 and grain <= 4 and ink_level <= 90)


def test_the_histogram_counts_every_sampled_pixel() -> None:
    """Counted by Pillow on a strided sample or on an image (every fourth pixel, as
    `_plain_paper` passes it): the same counts as numpy's, empty pages included."""
    rng = np.random.default_rng(5)
    page = rng.integers(0, 256, (401, 299), dtype=np.uint8)
    for sample in (page, page[::2, ::2], page[1::3, ::5], page[:0, :]):
        expected = np.bincount(sample.ravel(), minlength=256)
        assert ink.gray_histogram(sample).tolist() == expected.tolist()
    image = Image.fromarray(page[::2, ::2].copy())
    expected = np.bincount(page[::2, ::2].ravel(), minlength=256)
    assert ink.gray_histogram(image).tolist() == expected.tolist()


@pytest.mark.parametrize("bordered", [False, True])
def test_a_box_despeckled_once_measures_and_cleans_as_before(bordered: bool) -> None:
    # `_read_fields` makes the crop's 3x3 median once, for the ink measure and for the crop
    # it reads; a crop whose border's remnants are whitened first needs its own median.
    crop = with_specks(with_stroke(paper(), 10, 3.0))
    if bordered:
        crop = with_border(crop)
    despeckled = median3(crop)
    assert ink.measure(crop, DPI, 160, despeckled) == ink.measure(crop, DPI, 160)
    expected = imaging.despeckle(imaging.clear_border_lines(crop))
    assert np.array_equal(template.cleaned(crop, despeckled), expected)
