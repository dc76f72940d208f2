"""Is anything written in a box? Ink measured on the pixels, never inferred from the engine.

Pure numpy on a grayscale crop (0 black .. 255 white) of one box's interior, cut a little
inside its printed border. Two calls are the whole API:

- `measure(crop, dpi)` -> `Ink`: the written ink after the printed border's remnants and
  scanner specks are removed; `Ink.written` says blank or not.
- `measure_cells(crop, cells, dpi)` -> one `Ink` per cell of a comb box of `cells` equal cells
  side by side (the printed dividers between cells are removed like the border).

Areas are in mm², so the same thresholds hold at 200, 300 or 400 dpi. `threshold` is the gray
level below which a pixel is ink: `page_ink_threshold(page)` fits one to the page, so light and
dark scans are measured alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from infra.ocr.imaging import median3

Gray = NDArray[np.uint8]

DEFAULT_THRESHOLD = 128
# The smallest deliberate mark: a pen dot or the short stroke of "1" is well over 0.3 mm²
# (a 0.3 mm pen drawing 1 mm). Dust and the specks a 3x3 median leaves are under 0.1 mm².
MIN_WRITTEN_MM2 = 0.25
# How far in from a crop's edge a printed border or comb divider can still show (alignment is
# good to about 0.3 mm, borders are up to 0.5 mm thick).
BORDER_BAND_MM = 1.0
# A row (column) in that band with more than this share of ink is a printed line, not writing.
BORDER_FILL = 0.5


@dataclass(frozen=True)
class Ink:
    area_mm2: float  # written ink, after border remnants and specks are removed
    ratio: float  # share of the crop that is written ink (0..1)
    bbox: tuple[int, int, int, int] | None  # x, y, width, height of the ink in crop pixels

    @property
    def written(self) -> bool:
        """Something was written (or stamped, or scribbled): a person must see it if unread."""
        return self.area_mm2 >= MIN_WRITTEN_MM2


BLANK = Ink(0.0, 0.0, None)


@dataclass(frozen=True)
class PageLevels:
    """Gray levels of one page: paper (its median), grain (noise around the paper, a robust
    standard deviation), darkest (the darkest half percent: ink) and the ink threshold."""

    paper: int
    grain: float
    darkest: int
    threshold: int

    @property
    def plain(self) -> bool:
        """White, clean paper and dark ink: the engine copes as it is, nothing to clean."""
        return self.paper >= PLAIN_PAPER and self.grain <= PLAIN_GRAIN and self.darkest <= PLAIN_INK


PLAIN_PAPER = 225
PLAIN_GRAIN = 4.0
PLAIN_INK = 90  # faded toner prints at 130-160: skew and alignment would not see it as ink


def page_levels(page: Gray | Image.Image) -> PageLevels:
    """Paper, grain, ink and the threshold between them (pass a whole page at full size).

    The threshold sits halfway from paper to ink, but at least four grains below paper: a
    white page gives about 160, a light scan (ink at 150) about 210, a dark grainy one (paper
    at 150) about 100, where Otsu's method split the paper's own grain in two.
    """
    histogram = gray_histogram(page)
    if histogram.sum() == 0:
        return PageLevels(255, 0.0, 0, DEFAULT_THRESHOLD)
    cumulative = np.cumsum(histogram) / histogram.sum()
    paper = int(np.searchsorted(cumulative, 0.5))
    darkest = int(np.searchsorted(cumulative, 0.005))
    deviations = np.bincount(np.abs(np.arange(256) - paper), weights=histogram, minlength=256)
    grain = 1.4826 * int(np.searchsorted(np.cumsum(deviations) / deviations.sum(), 0.5))
    threshold = min((paper + darkest) / 2, paper - 4 * grain)
    return PageLevels(paper, grain, darkest, int(np.clip(round(threshold), 40, 220)))


def gray_histogram(page: Gray | Image.Image) -> NDArray[np.int64]:
    """How many pixels of `page` have each gray level 0-255. Pillow counts them in half the
    time of np.bincount, which widens every pixel to 64 bits first (4.1 -> 2.1 ms on the
    quarter of an A4 page that `_plain_paper` samples). An image ("L") is counted as it is:
    copied into numpy first, an A4 page at 300 dpi cost 3.3 ms more."""
    if isinstance(page, Image.Image):
        return np.asarray(page.histogram(), dtype=np.int64)
    if page.size == 0:
        return np.zeros(256, dtype=np.int64)
    return np.asarray(Image.fromarray(np.ascontiguousarray(page)).histogram(), dtype=np.int64)


def page_ink_threshold(page: Gray | Image.Image) -> int:
    """The gray level below which a pixel of this page is ink (see `page_levels`)."""
    return page_levels(page).threshold


def strip_border(mask: NDArray[np.bool_], band_px: int, fill: float = BORDER_FILL) -> None:
    """Clear, in place, printed lines within `band_px` of each edge of an ink mask."""
    height, width = mask.shape
    if height == 0 or width == 0:
        return
    band_y, band_x = min(band_px, height // 3), min(band_px, width // 3)
    rows = mask.mean(axis=1) > fill
    cols = mask.mean(axis=0) > fill
    for y in [*range(band_y), *range(height - band_y, height)]:
        if rows[y]:
            mask[y, :] = False
    for x in [*range(band_x), *range(width - band_x, width)]:
        if cols[x]:
            mask[:, x] = False
    # Where two border lines meet, their rounded corner survives the line test.
    for ys in (slice(0, band_y), slice(height - band_y, height)):
        for xs in (slice(0, band_x), slice(width - band_x, width)):
            mask[ys, xs] = False


def _despeckled(crop: Gray) -> Gray:
    """A 3x3 median: isolated specks and JPEG noise go, strokes stay."""
    return median3(crop)


def measure(
    crop: Gray, dpi: int = 300, threshold: int = DEFAULT_THRESHOLD, despeckled: Gray | None = None
) -> Ink:
    """The written ink in one box interior. `despeckled`: the crop's 3x3 median, when the
    caller has made it already."""
    if crop.size == 0:
        return BLANK
    mask = (_despeckled(crop) if despeckled is None else despeckled) < threshold
    strip_border(mask, round(BORDER_BAND_MM * dpi / 25.4))
    return _ink_of(mask, dpi)


def measure_cells(
    crop: Gray, cells: int, dpi: int = 300, threshold: int = DEFAULT_THRESHOLD
) -> list[Ink]:
    """One `Ink` per cell of a comb box split into `cells` equal columns, left to right."""
    if cells < 1:
        raise ValueError(f"cells must be at least 1, not {cells}")
    edges = np.linspace(0, crop.shape[1], cells + 1).round().astype(int)
    return [
        measure(crop[:, left:right], dpi, threshold) for left, right in pairwise(edges.tolist())
    ]


def _ink_of(mask: NDArray[np.bool_], dpi: int) -> Ink:
    pixels = int(np.count_nonzero(mask))
    if pixels == 0:
        return BLANK
    # The inked rows and columns, not every inked pixel's coordinates: a fifth of the time.
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    x0, y0 = int(cols[0]), int(rows[0])
    bbox = (x0, y0, int(cols[-1]) - x0 + 1, int(rows[-1]) - y0 + 1)
    mm_per_px = 25.4 / dpi
    return Ink(pixels * mm_per_px * mm_per_px, pixels / mask.size, bbox)
