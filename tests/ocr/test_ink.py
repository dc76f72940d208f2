"""`infra.ocr.ink`: blank or written, decided on the pixels of one box."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

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


# A box cut 1 mm larger than the template puts it (`fields.BORDER_SLACK_MM`), its border
# printed where the template says: SLACK px in from each edge.
SLACK, INSET = px(1.0), px(template.BORDER_INSET_MM)


def bordered_box(
    width_mm: float = 30, height_mm: float = 11, style: str = "plain", turned: float = 0.0
) -> np.ndarray:
    """A box's outer crop on white paper: its border `style` plain (2 px), thick (5 px),
    double (2 px and a 1 px hairline 3 px inside it) or dashed, turned `turned` degrees."""
    page = Image.new("L", (px(width_mm + 2), px(height_mm + 2)), 250)
    draw = ImageDraw.Draw(page)
    x0, y0, x1, y1 = SLACK, SLACK, page.width - SLACK - 1, page.height - SLACK - 1
    if style == "dashed":
        for start in range(x0, x1, 19):
            draw.rectangle((start, y0, min(start + 12, x1), y0 + 1), fill=0)
            draw.rectangle((start, y1 - 1, min(start + 12, x1), y1), fill=0)
        for start in range(y0, y1, 19):
            draw.rectangle((x0, start, x0 + 1, min(start + 12, y1)), fill=0)
            draw.rectangle((x1 - 1, start, x1, min(start + 12, y1)), fill=0)
    else:
        draw.rectangle((x0, y0, x1, y1), outline=0, width=5 if style == "thick" else 2)
    if style == "double":
        draw.rectangle((x0 + 5, y0 + 5, x1 - 5, y1 - 5), outline=0, width=1)
    if turned:
        page = page.rotate(turned, resample=Image.Resampling.BICUBIC, fillcolor=250)
    return np.asarray(page.filter(ImageFilter.GaussianBlur(0.6))).copy()


def against_border(crop: np.ndarray) -> ink.AgainstBorder:
    return ink.measure_against_border(crop, DPI, 160, SLACK, INSET)


@pytest.mark.parametrize(
    ("style", "turned"),
    [("plain", 0.0), ("thick", 0.0), ("double", 0.0), ("dashed", 0.0), ("plain", 0.5)],
)
def test_a_blank_box_has_nothing_against_its_border(style: str, turned: float) -> None:
    for size in ((30, 11), (12, 11), (90, 11)):
        assert against_border(bordered_box(*size, style, turned)).ink.area_mm2 == 0.0


def stroke_against(
    crop: np.ndarray, side: str, gap: int, along: bool, length_mm: float = 2.0
) -> np.ndarray:
    """A 0.35 mm pen stroke `gap` px inside the 2 px border on `side`, along it or across."""
    out = crop.copy()
    height, width = out.shape
    thick, long = px(0.35), px(length_mm)
    inner = SLACK + 2 + gap  # the first paper row (column) inside the border, and the gap
    across_the_side = (thick, long) if along else (long, thick)
    if side in ("top", "bottom"):
        rows, cols = across_the_side
        top = inner if side == "top" else height - inner - rows
        out[top : top + rows, width // 2 : width // 2 + cols] = 0
    else:
        cols, rows = across_the_side
        left = inner if side == "left" else width - inner - cols
        out[height // 2 - rows // 2 : height // 2 + rows // 2 + 1, left : left + cols] = 0
    return out


def inset_crop(crop: np.ndarray) -> np.ndarray:
    """What `measure` is given: the box cut BORDER_INSET_MM inside the template's border."""
    return crop[SLACK + INSET : -SLACK - INSET, SLACK + INSET : -SLACK - INSET]


def written(crop: np.ndarray) -> bool:
    """Blank or not as `fields.read_fields` decides it: the ink inside and against the border."""
    return ink.any_written(ink.measure(inset_crop(crop), DPI, 160), against_border(crop).ink)


@pytest.mark.parametrize("side", ["left", "right", "top", "bottom"])
@pytest.mark.parametrize("gap", [0, 1, 2, 3])
def test_a_stroke_along_the_border_is_ink(side: str, gap: int) -> None:
    """A "1" against the right edge: the crop cut inside the border leaves it out."""
    box = stroke_against(bordered_box(12, 11), side, gap, along=True)
    assert not ink.measure(inset_crop(box), DPI, 160).written
    assert against_border(box).ink.written


@pytest.mark.parametrize("side", ["left", "right", "top", "bottom"])
@pytest.mark.parametrize("gap", [0, 2])
@pytest.mark.parametrize("length_mm", [1.0, 1.5])
def test_a_tick_across_the_border_is_ink(side: str, gap: int, length_mm: float) -> None:
    """Half of it in the crop cut inside the border, half outside: too little either way."""
    assert written(stroke_against(bordered_box(30, 11), side, gap, False, length_mm))


@pytest.mark.parametrize("gap", [3, 4, 5, 6])
def test_a_stroke_along_a_doubled_border_is_ink_but_its_hairline_is_not(gap: int) -> None:
    """Against the hairline, or just past it. Not seen: a stroke laid exactly in the 3 px
    between the two lines (gaps 0-2), which each line's blur tolerance covers."""
    box = bordered_box(30, 11, "double")
    assert not written(box)
    assert written(stroke_against(box, "left", gap, along=True))


@pytest.mark.parametrize("threshold", [160, 200, 230])
def test_a_turned_border_on_a_light_scan_leaves_nothing_of_itself(threshold: int) -> None:
    """Turned 0.6°, a 130 mm line steps from row to row within a stretch; at a light scan's
    threshold (230) the row it partly fills there had been left as a fringe of ink."""
    box = bordered_box(130, 11, turned=0.6)
    assert ink.measure_against_border(box, DPI, threshold, SLACK, INSET).ink.area_mm2 == 0.0


def test_a_label_printed_just_outside_the_box_is_not_its_border() -> None:
    """A label above the box reaching into the crop cut outside it (development form 32: its
    strokes made the outermost line in a third of the top's stretches); the border turned a
    little, so a course pulled flat by the label leaves a fringe of the line as ink."""
    box = bordered_box(40, 11, turned=0.3)
    labelled = box.copy()
    for left in range(px(1), px(14), px(1.6)):
        labelled[: SLACK - 4, left : left + px(1.2)] = 0  # the foot of each character
    assert against_border(box).ink.area_mm2 == 0.0
    assert against_border(labelled).ink.area_mm2 == 0.0


def test_without_a_printed_line_nothing_is_against_the_border() -> None:
    """A side with no line: the box ends where the crop cut inside it does (its ink there is
    not known to be the box's)."""
    paper = np.full((px(13), px(32)), 250, dtype=np.uint8)
    assert not against_border(stroke_against(paper, "left", 2, along=True)).ink.written


def test_the_interior_is_the_box_whole_without_its_border() -> None:
    written = stroke_against(bordered_box(12, 11), "right", 0, along=True, length_mm=3.0)
    found = against_border(written)
    interior = found.interior(written)
    assert ink.measure(interior, DPI, 160).written
    assert imaging.ink(interior, 160)[:, : SLACK + 2].sum() == 0  # the left border: gone
    assert not found.inside[SLACK, :].any()  # the top line is outside


def test_ink_in_parts_of_a_box_is_writing_together() -> None:
    half = ink.Ink(ink.MIN_WRITTEN_MM2 / 2, 0.0, None)
    assert not ink.any_written(half, ink.BLANK)
    assert ink.any_written(half, half)
