"""Is anything written in a box? Ink measured on the pixels, never inferred from the engine.

Pure numpy on a grayscale crop (0 black .. 255 white) of one box's interior, cut a little
inside its printed border, and of the box cut a little outside it. Three calls:

- `measure(crop, dpi)` -> `Ink`: the written ink after the printed border's remnants and
  scanner specks are removed; `Ink.written` says blank or not.
- `measure_cells(crop, cells, dpi)` -> one `Ink` per cell of a comb box of `cells` equal cells
  side by side (the printed dividers between cells are removed like the border).
- `measure_against_border(crop, dpi, threshold, slack_px, inset_px)` -> the written ink
  between the printed border, found on the pixels of a crop cut a little outside the box, and
  the crop `measure` is given (a stroke written against the border), and the box's interior
  up to the border, to read what was written whole. `any_written` adds the two measures up.

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


# How a box's printed border is told from a stroke written against it. A border is a line along
# the whole side: in at least LINE_SHARE of the side's LINE_CHUNK_MM stretches some row (column)
# across the side is more than BORDER_FILL ink, and those rows lie on one straight course. A
# stroke is short: a "1" or a tick 1.5-4 mm long fills a few stretches of an 11 mm side. Where a
# stroke touches the border, the line there is thicker than the side's usual thickness; what
# lies past that, plus LINE_TOLERANCE_PX of blur, is writing.
LINE_CHUNK_MM = 1.5
LINE_SHARE = 0.6
LINE_EDGE_FILL = 0.2
LINE_TOLERANCE_PX = 1
LINE_COURSE_PX = 2  # a stretch's line this far off the side's course is not the border
LINES_PER_SIDE = 2  # a doubled border: two lines, the inner one thinner
LINE_SEARCH_MM = 1.2  # how far past where the border should be its lines are looked for
# A box's corners are left out of the search: a border printed with rounded corners (2 mm is
# common on municipal forms) curves away from both straight courses there, and its arc had
# sent every such blank box to staff (rendered boxes, 12 of 12).
CORNER_MM = 2.5


@dataclass(frozen=True)
class AgainstBorder:
    ink: Ink  # written between the printed border and `measure`'s crop
    inside: NDArray[np.bool_]  # the crop's pixels inside the border's lines

    def interior(self, crop: Gray) -> Gray:
        """`crop` with its border and all beyond it white: what was written in the box, whole."""
        return np.where(self.inside, crop, np.uint8(255)).astype(np.uint8)


def measure_against_border(
    crop: Gray, dpi: int, threshold: int, slack_px: int, inset_px: int
) -> AgainstBorder:
    """The written ink between a box's printed border, found on the pixels, and the crop
    `measure` is given, cut `inset_px` inside the box: a "1" or a tick written against the
    border, which that crop leaves out.

    `crop` is the box cut `slack_px` larger than the template puts it on every side, so its
    border lies near `slack_px` from each edge however the alignment erred. Along each side the
    border's lines are found (`_border_lines`: a doubled, dashed, thicker or slightly turned
    border too) and they, and all outside them, are left out; a side without a line has
    nothing against it. The bounding box is in `crop`'s pixels; `inside`, which of them lie
    inside the lines (a side without a line: inside the crop `measure` is given).
    """
    height, width = crop.shape
    cut = slack_px + inset_px
    inside = np.ones((height, width), dtype=bool)
    if height <= 2 * cut or width <= 2 * cut:
        return AgainstBorder(BLANK, inside)
    chunk = max(round(LINE_CHUNK_MM * dpi / 25.4), 4)
    depth = min(max(slack_px * 2 + round(LINE_SEARCH_MM * dpi / 25.4), cut), height // 2)
    # Each side seen from outside inwards: axis 0 runs across the side, axis 1 along it.
    # Lines are found before the median, which wears a hairline (the thin inner line of a
    # doubled border) down to pieces.
    for side, region in (
        (crop, inside),
        (crop[::-1], inside[::-1]),
        (crop.T, inside.T),
        (crop.T[::-1], inside.T[::-1]),
    ):
        lines = _border_lines(side[:depth] < threshold, chunk, slack_px)
        if lines is None:
            region[:cut] = False
        else:
            region[:depth][lines] = False
    frame = np.zeros_like(inside)
    frame[:cut] = frame[-cut:] = True
    frame[:, :cut] = frame[:, -cut:] = True
    corner = slack_px + round(CORNER_MM * dpi / 25.4)
    for rows in (slice(0, corner), slice(height - corner, height)):
        for cols in (slice(0, corner), slice(width - corner, width)):
            frame[rows, cols] = False
    zone = inside & frame
    found = (crop < threshold) & zone
    if np.count_nonzero(found) * (25.4 / dpi) ** 2 < MIN_WRITTEN_MM2:
        return AgainstBorder(_ink_of(found, dpi), inside)  # not enough even with specks
    # The ink counted without specks, as `measure` counts it: the median of the frame's
    # strips only (a row or column deeper, for the median's neighbours).
    smooth = np.full_like(crop, 255)
    for rows, cols in (
        (slice(0, cut + 1), slice(None)),
        (slice(height - cut - 1, height), slice(None)),
        (slice(None), slice(0, cut + 1)),
        (slice(None), slice(width - cut - 1, width)),
    ):
        smooth[rows, cols] = _despeckled(crop[rows, cols])
    return AgainstBorder(_ink_of((smooth < threshold) & zone, dpi), inside)


def any_written(*parts: Ink) -> bool:
    """Ink measured in parts of one box (`measure`, `measure_against_border`): together
    enough to be writing."""
    return sum(part.area_mm2 for part in parts) >= MIN_WRITTEN_MM2


def _border_lines(near: NDArray[np.bool_], chunk: int, expected: int) -> NDArray[np.bool_] | None:
    """Which pixels of one side of a box (`near`: its ink, axis 0 across the side from
    outside inwards, axis 1 along it) are its printed lines or lie outside them; None where
    the side has no line. The border nearest the row `expected`, then up to LINES_PER_SIDE
    lines in all, inwards: ink between two lines (a stroke over a doubled border's hairline)
    is writing."""
    rows = np.arange(near.shape[0])[:, None]
    # The outermost line in each stretch, or the one nearest where the border should be: a
    # label printed just outside the box stands for the first in a few stretches, a stroke
    # written against a box printed off its place for the second. The course more stretches
    # follow is the border's.
    courses = [_line_course(near, chunk), _line_course(near, chunk, expected)]
    found = [line for line in courses if line is not None]
    if not found:
        return None
    line = max(found, key=lambda course: course.support)
    excluded = rows < line.end[None, :]
    for _ in range(LINES_PER_SIDE - 1):
        inner = _line_course(near & ~excluded, chunk)
        if inner is None:
            break
        excluded |= (rows >= inner.start[None, :]) & (rows < inner.end[None, :])
    return excluded


@dataclass(frozen=True)
class _Line:
    start: NDArray[np.int64]  # per position along the side, the line's first row
    end: NDArray[np.int64]  # and the first row past it
    support: int  # how many stretches of the side follow its course


def _line_course(side: NDArray[np.bool_], chunk: int, expected: int | None = None) -> _Line | None:
    """The line along `side` nearest the row `expected` (None: the outermost), where one runs
    straight along at least LINE_SHARE of it (else None), LINE_TOLERANCE_PX wider on each
    side for the blur."""
    across, along = side.shape
    chunk = min(chunk, along)
    chunks = along // chunk
    if across == 0 or chunks == 0:
        return None
    # Per stretch of `chunk` positions along the side: the rows more than BORDER_FILL ink, and
    # of them the run nearest `expected` (or the outermost) the line's.
    fill = side[:, : chunks * chunk].reshape(across, chunks, chunk).sum(axis=2, dtype=np.int32)
    filled = fill > BORDER_FILL * chunk
    found = filled.any(axis=0)
    if found.sum() < LINE_SHARE * chunks:
        return None
    rows = np.arange(across)[:, None]
    if expected is None:
        nearest = filled.argmax(axis=0)
    else:
        nearest = np.where(filled, np.abs(rows - expected), across).argmin(axis=0)
    past = ~filled & (rows >= nearest[None, :])
    ends = np.where(past.any(axis=0), past.argmax(axis=0), across)
    before = (~filled & (rows < nearest[None, :]))[::-1]
    starts = np.where(before.any(axis=0), across - before.argmax(axis=0), 0)
    # A line turned a little crosses from one row to the next within a stretch: the row on
    # either side it partly fills is the line's too.
    lit, stretch = fill > LINE_EDGE_FILL * chunk, np.arange(chunks)
    starts -= (starts > 0) & lit[np.maximum(starts - 1, 0), stretch]
    ends += (ends < across) & lit[np.minimum(ends, across - 1), stretch]
    at = (np.arange(chunks) * chunk + chunk / 2)[found]
    first_rows, widths = starts[found].astype(float), (ends - starts)[found]
    # Theil-Sen: the median slope between stretches, then the median offset; a stroke that
    # stands for the line in a few stretches does not move it.
    upper = np.triu_indices(len(at), 1)
    rises = np.subtract.outer(first_rows, first_rows)[upper] / np.subtract.outer(at, at)[upper]
    slope = float(np.median(rises)) if len(at) > 1 else 0.0
    offset = float(np.median(first_rows - slope * at))
    on_course = np.abs(first_rows - (offset + slope * at)) <= LINE_COURSE_PX
    if on_course.sum() < LINE_SHARE * chunks:
        return None
    width = float(np.median(widths[on_course]))
    course = offset + slope * np.arange(along)
    start = np.floor(course - LINE_TOLERANCE_PX).astype(np.int64)
    end = np.ceil(course + width + LINE_TOLERANCE_PX).astype(np.int64)
    # Where a stretch shows the line no thicker than it is elsewhere, the rows it shows are
    # the line's: a straight course misses the step from row to row of a line turned a little
    # by a pixel (development form 74). A stretch a stroke against the line thickens keeps
    # the course, and the stroke stays ink.
    plain = np.zeros(chunks, dtype=bool)
    plain[np.flatnonzero(found)[on_course & (widths <= width + 1)]] = True
    seen = np.repeat(plain, chunk)
    span = slice(0, chunks * chunk)
    start[span] = np.where(seen, np.minimum(start[span], np.repeat(starts, chunk) - 1), start[span])
    end[span] = np.where(seen, np.maximum(end[span], np.repeat(ends, chunk) + 1), end[span])
    return _Line(start, end, int(on_course.sum()))


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
