"""Hand-drawn marks by ink (pure numpy): a tick in a printed box, a circle around a printed option.

A mark is ink where the blank form has none. In a checkbox that is anywhere inside the box;
around a choice's printed label it is the margin ring between the label (the middle of the
option's area) and the area's edge. Two things that are ink but not a mark are left out by
shape: a stray dot (too little ink, or ink gathered in one spot) and a line grazing the
border (it stays in the outer edge band, or touches a single side of the ring).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from infra.ocr import imaging

EDGE_BAND_MM = 0.7  # next to the area's edge: alignment slack, a neighbour's circle grazing
BOX_EDGE_BAND_MM = 0.35  # inside a checkbox's cut border: what is left of the printed line
# An option's printed label sits in the middle of its area, at most LABEL_HEIGHT_MM tall, with
# LABEL_MARGIN_MM clear left and right: a circle, tick or cross reaches beyond that.
LABEL_HEIGHT_MM = 5.0
LABEL_MARGIN_MM = 3.0
SIDE_INK_MM2 = 0.4  # ink on one side of the ring that counts towards "surrounds or crosses"


@dataclass(frozen=True)
class Mark:
    """The evidence of one area: ink area (mm²) and spread (mm) of what may be a mark."""

    ink_mm2: float
    spread_mm: float
    sides: int  # of the ring's four sides, how many hold ink (4 for a checkbox with a mark)
    depth_mm: float = 0.0  # how far in from the area's nearest edge the ink reaches


def _depth(mask: NDArray[np.bool_], px_per_mm: float) -> float:
    """How far the ink lies from the area's nearest edge, robust to a few specks (the 90th
    percentile): a line grazing one edge stays within a millimetre of it, a cross drawn
    a little high or low over the label, touching one side of the ring only, does not."""
    ys, xs = np.nonzero(mask)
    if ys.size < 4:
        return 0.0
    height, width = mask.shape
    nearest = np.minimum(np.minimum(ys, height - 1 - ys), np.minimum(xs, width - 1 - xs))
    return float(np.percentile(nearest, 90)) / px_per_mm


def _spread(mask: NDArray[np.bool_], px_per_mm: float) -> float:
    """How far the ink reaches, robust to a few specks: the 5-95 % range of its coordinates."""
    ys, xs = np.nonzero(mask)
    if ys.size < 4:
        return 0.0
    low_y, high_y = np.percentile(ys, [5, 95])
    low_x, high_x = np.percentile(xs, [5, 95])
    return float(max(high_y - low_y, high_x - low_x)) / px_per_mm


def box_mark(crop: imaging.Gray, px_per_mm: float, threshold: int = imaging.INK_THRESHOLD) -> Mark:
    """The mark inside a printed checkbox (`crop`: its interior, border already cut off)."""
    mask = imaging.ink(crop, threshold)
    band = round(BOX_EDGE_BAND_MM * px_per_mm)
    inner = mask[band : mask.shape[0] - band, band : mask.shape[1] - band]
    area = float(inner.sum()) / px_per_mm**2
    return Mark(area, _spread(inner, px_per_mm), 4 if area > 0 else 0)


def ring_mark(crop: imaging.Gray, px_per_mm: float, threshold: int = imaging.INK_THRESHOLD) -> Mark:
    """The mark around a printed label in the middle of `crop` (one option's area)."""
    mask = imaging.ink(crop, threshold)
    height, width = mask.shape
    band = round(EDGE_BAND_MM * px_per_mm)
    margin_y = max(round((height - LABEL_HEIGHT_MM * px_per_mm) / 2), band + 1)
    margin_x = min(round(LABEL_MARGIN_MM * px_per_mm), width * 3 // 10)
    ring = np.zeros_like(mask)
    ring[band : height - band, band : width - band] = True
    ring[margin_y : height - margin_y, margin_x : width - margin_x] = False
    marked = mask & ring
    sides = (
        marked[:margin_y, :],
        marked[height - margin_y :, :],
        marked[:, :margin_x],
        marked[:, width - margin_x :],
    )
    side_px = SIDE_INK_MM2 * px_per_mm**2
    return Mark(
        float(marked.sum()) / px_per_mm**2,
        _spread(marked, px_per_mm),
        sum(1 for side in sides if side.sum() >= side_px),
        _depth(marked, px_per_mm),
    )
