"""A template's boxes on a scanned page, inside an OCR worker: where they lie (found on the
75 dpi copy, at the angle that fits their outlines) and each box's interior cut out straight.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from infra.ocr import imaging, ink
from infra.ocr.page import SMALL_FACTOR, SMALL_INK, to_px
from infra.ocr.readings import FieldBox, PageTask

MAX_SHIFT_MM = 15.0
BORDER_INSET_MM = 0.8  # inside the printed border: alignment is good to about 0.3 mm
CHECKBOX_INSET_MM = 1.2
ALIGN_MIN_SCORE = 0.35  # share of the outlines found as ink: below it, not this template
# The text's skew can be off by a degree on a form (a few short lines of text, long printed
# borders): 1° across a 175 mm row of boxes moves its far end 3 mm. When the outlines do not
# fit at the text's skew, the angle is searched around it for the one that fits them best.
# Development forms 0-191 (seed 50000): forms 15, 101, 113, 141, 163 and 164 scored 0.17-0.32
# at the text's skew, 0.49-0.54 at the best angle. Searched only then: on every page it moved
# forms that fitted (dev form 44's kana and date then misread, one of them unflagged).
# Development forms 0-191: not_aligned fields 42 -> 0, exact 97.68 % -> 98.34 %, wrong and
# not flagged 0.19 % -> 0.19 % (the same four misreadings, none on a form it turned).
ALIGN_ANGLE_STEPS = ((0.25, 1.5), (0.05, 0.2))  # (step, span either side) in degrees


@dataclass(frozen=True)
class Alignment:
    shift: tuple[int, int, bool]  # (dx, dy) in 300 dpi pixels from template to scan, found
    skew: float  # the angle that straightens the page onto the template's outlines
    small_deskewed: Image.Image

    @property
    def found(self) -> bool:
        return self.shift[2]


def align(small: Image.Image, skew: float, task: PageTask) -> Alignment:
    """Where the template's boxes lie on the 75 dpi page, and at which angle."""
    boxes = tuple(f.box_mm for f in task.fields)
    outlines = _outlines(task.page_size_mm or (210.0, 297.0), boxes)

    def fit(angle: float) -> tuple[int, int, float, Image.Image]:
        # Turned bilinear, not bicubic (13 ms, not 31): this copy only gives the outlines'
        # ink and the ink threshold. Field figures, 100 tuning / 48 report forms: unchanged
        # / flagged 46 -> 45 (nearest-pixel: one exact fewer on each).
        turned = imaging.rotate(small, angle, Image.Resampling.BILINEAR)
        dx, dy, score = imaging.find_shift(imaging.ink(np.asarray(turned), SMALL_INK), outlines)
        return dx, dy, score, turned

    best_angle, best = skew, fit(skew)
    for step, span in ALIGN_ANGLE_STEPS if best[2] < ALIGN_MIN_SCORE else ():
        centre = best_angle
        for angle in np.arange(centre - span, centre + span + step / 2, step):
            candidate = fit(round(float(angle), 2))
            if candidate[2] > best[2]:
                best_angle, best = round(float(angle), 2), candidate
    dx, dy, score, turned = best
    return Alignment(
        (dx * SMALL_FACTOR, dy * SMALL_FACTOR, score >= ALIGN_MIN_SCORE), best_angle, turned
    )


@functools.lru_cache(maxsize=32)
def _outlines(
    page_size_mm: tuple[float, float], boxes_mm: tuple[tuple[float, float, float, float], ...]
) -> imaging.Outlines:
    """A template's outlines at 75 dpi, transformed once per worker, not once per page."""
    width_mm, height_mm = page_size_mm
    shape = (to_px(height_mm, SMALL_FACTOR), to_px(width_mm, SMALL_FACTOR))
    boxes = [tuple(to_px(v, SMALL_FACTOR) for v in box) for box in boxes_mm]
    expected = imaging.outline_mask(shape, boxes)  # type: ignore[arg-type]
    return imaging.outlines(expected, to_px(MAX_SHIFT_MM, SMALL_FACTOR))


def _box_px(box_mm: tuple[float, ...], dx: int, dy: int, inset_mm: float) -> tuple[int, ...]:
    x, y, w, h = box_mm
    inset = to_px(inset_mm)
    x0, y0 = to_px(x) + dx + inset, to_px(y) + dy + inset
    return x0, y0, max(to_px(w) - 2 * inset, 1), max(to_px(h) - 2 * inset, 1)


def field_crop(
    image: Image.Image, box: FieldBox, dx: int, dy: int, skew: float, threshold: int | None = None
) -> Any:
    """The box interior as cut from the page, straightened, border and specks not yet removed.
    Given the page's ink threshold, a line of writing's box is turned bicubic only as far as
    its writing goes and PAPER_MARGIN_MM beyond (`imaging.deskewed_writing`)."""
    inset = CHECKBOX_INSET_MM if box.kind == "checkbox" else BORDER_INSET_MM
    if threshold is None or box.vertical or box.kind == "checkbox":
        return crop_mm(image, box.box_mm, inset, dx, dy, skew)
    region = _box_px(box.box_mm, dx, dy, inset)
    margin, edge = to_px(PAPER_MARGIN_MM), to_px(ink.BORDER_BAND_MM)
    return imaging.deskewed_writing(image, region, skew, threshold, margin, edge)  # type: ignore[arg-type]


# The bicubic turn was a third of the time outside Tesseract in template mode (17 of 51 ms a
# tuning form, one process); past the writing it now costs 9. A box cut short there instead
# read with less confidence (6 right development names sent to review, margin 4 or 12 mm);
# kept, as nearest pixels past 4 mm: 40 tuning forms exact 99.72 -> 100.00 %, flagged 2.78 ->
# 2.50 %; 48 development forms unchanged (exact 98.67 %, flagged 5.30 %); wrong and not
# flagged 0.00 % on both. Every other field read as before, confidences within 6 points.
PAPER_MARGIN_MM = 4.0


def crop_mm(
    image: Image.Image,
    box_mm: tuple[float, ...],
    inset: float,
    dx: int,
    dy: int,
    skew: float,
    resample: Image.Resampling = Image.Resampling.BICUBIC,
) -> imaging.Gray:
    region = _box_px(box_mm, dx, dy, inset)
    return np.asarray(imaging.deskewed_crop(image, region, skew, resample))  # type: ignore[arg-type]


def cleaned(crop: Any, despeckled: Any = None) -> Any:
    """The crop without its border's remnants, despeckled. `despeckled`, the crop's own 3x3
    median, is that already when no remnant was found (most boxes, cut inside their border)."""
    bordered = imaging.clear_border_lines(crop)
    if bordered is crop and despeckled is not None:
        return despeckled
    return imaging.despeckle(bordered)
