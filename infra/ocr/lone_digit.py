"""A one-character box of digits (a count: 児童数, 通数) whose reading gave no digit, read again.

A lone "1" is a thin stroke the engine often reads as nothing, or as "|", "I" or "i"; so is a
stray pen mark. What the box shows staff is decided first by the ink: one mark of a digit's
height, not a bare stroke (`digit_mark`). Only such a mark is read again, twice, by the English
model (`read_again`), and a digit is shown only where both readings give it. Shown or not, the
field goes to staff: this picks the value they see, it never makes one trusted.

Pure numpy around `tesseract.ocr` on a grayscale crop (0 black .. 255 white) of the box.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from infra.ocr import digit_runs, imaging, tesseract

# A typed digit's height: the development faces at 3.8-4.8 mm and IPAexGothic at 4.2 mm gave
# 2.9-3.7 mm (rendered one-digit boxes, 200-300 dpi). A stray short stroke or a dot is lower,
# what is left of a border or a line through the box taller.
DIGIT_MIN_MM = 2.4
DIGIT_MAX_MM = 5.0
# A bare stroke, upright or leaning (a pen's stray mark, a ruled line's remnant), crosses each
# row once and about as wide in every row; a printed 1 has a flag, and in Mincho a foot, at
# least this many times as wide as its stem's rows (rendered: 2.4-5.0 times; strokes 1.0-1.25).
FLAG_WIDTH = 1.8
# The two readings again, both by the English model with no whitelist (forced onto digits a
# stray mark comes back as one), of the mark cut tight with this much white around it: as a
# single character at 0.4 of its size and as a raw line at 0.5. Rendered one-digit boxes (the
# development faces and IPAexGothic, 200-300 dpi, three seeds): of the 85 lone digits the
# first reading left unsure or unread (39 7s, 31 1s), both gave the digit for 83 and agreed
# on no other; of 1267 stray marks (dots, short, long, upright and leaning strokes, ticks,
# slashes) they agreed on a digit for none, the ink's shape not asked. Of nine pairs of sizes
# and modes tried, pairs that read the marks alike ("1" for a short stroke) were left out.
AGAIN_MARGIN_PX = 30
AGAIN_CHAR_SCALE = 0.4
AGAIN_LINE_SCALE = 0.5


def digit_mark(crop: Any, threshold: int) -> tuple[int, int, int, int] | None:
    """Where the crop's ink is one mark of a digit's height that is not a bare stroke (x, y,
    width, height in crop pixels), or None. Specks the median left are not counted."""
    runs = digit_runs.ink_runs(crop, threshold)
    if len(runs) != 1:
        return None
    run = runs[0]
    mask = crop[:, run.start : run.end] < threshold
    rows = _row_runs(mask)
    if len(rows) != 1:
        return None
    top, bottom = rows[0]
    height_mm = (bottom - top) / tesseract.PX_PER_MM
    if not DIGIT_MIN_MM <= height_mm <= DIGIT_MAX_MM or _bare_stroke(mask[top:bottom]):
        return None
    return run.start, top, run.end - run.start, bottom - top


def marks_of_digits(crop: Any, threshold: int, digits: int) -> bool:
    """Whether the crop's ink is at most `digits` marks, each one a digit's (`digit_mark`):
    two digits read where one digit and a stray stroke stand ("21" at 94, a code review's
    probe) are not."""
    runs = digit_runs.ink_runs(crop, threshold)
    return 0 < len(runs) <= digits and all(
        digit_mark(crop[:, run.start : run.end], threshold) is not None for run in runs
    )


def read_again(crop: Any, mark: tuple[int, int, int, int]) -> str:
    """The digit both readings again give the mark (`digit_mark`), or ""."""
    import tesserocr

    x, y, width, height = mark
    glyph = Image.fromarray(imaging.pad(crop[y : y + height, x : x + width], AGAIN_MARGIN_PX))
    readings = [
        "".join(tesseract.ocr(tesseract.scaled(glyph, scale), psm, None, api)[0].split())
        for psm, scale, api in (
            (tesserocr.PSM.SINGLE_CHAR, AGAIN_CHAR_SCALE, tesseract.latin_api()),
            (tesserocr.PSM.RAW_LINE, AGAIN_LINE_SCALE, tesseract.latin_api()),
        )
    ]
    first = readings[0]
    if len(first) == 1 and first in digit_runs.DIGITS and all(r == first for r in readings):
        return first
    return ""


def _row_runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """The runs of inked rows, first and one past the last, specks left out."""
    per_row = mask.sum(axis=1)
    inked = np.concatenate(([False], per_row > 0, [False]))
    starts = np.flatnonzero(inked[1:] & ~inked[:-1])
    ends = np.flatnonzero(~inked[1:] & inked[:-1])
    least = digit_runs.RUN_MIN_MM2 * tesseract.PX_PER_MM**2
    return [
        (int(start), int(end))
        for start, end in zip(starts, ends, strict=True)
        if per_row[start:end].sum() >= least
    ]


def _bare_stroke(mask: NDArray[np.bool_]) -> bool:
    """Every row of the mark crosses its ink once, and none is FLAG_WIDTH times as wide as
    the rows usually are."""
    widths = []
    for row in mask:
        inked = np.flatnonzero(row)
        if len(inked) == 0:
            continue
        if inked[-1] - inked[0] + 1 != len(inked):  # two pieces in a row: 0, 4, a 1's flag
            return False
        widths.append(len(inked))
    return bool(widths) and max(widths) < FLAG_WIDTH * float(np.median(widths))
