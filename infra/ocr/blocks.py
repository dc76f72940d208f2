"""Blocks of a page one above the other, cut at wide blank strips across it (pure numpy)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Mask = NDArray[np.bool_]


def bands(ink: Mask, min_gap: int, min_ink: int = 3) -> list[tuple[int, int]]:
    """(top, bottom) rows of each stretch of ink, top to bottom, split where at least
    `min_gap` rows across the whole page hold no ink (rows with fewer than `min_ink` inked
    pixels count as blank: a speck or two). Bounds are cut in the middle of each gap, so
    together the bands cover the page from its first row to its last."""
    inked = np.flatnonzero(ink.sum(axis=1) >= min_ink)
    if len(inked) == 0:
        return []
    gaps = np.flatnonzero(np.diff(inked) > min_gap)
    cuts = [int(inked[g] + inked[g + 1]) // 2 for g in gaps]
    return list(zip([0, *cuts], [*cuts, ink.shape[0]], strict=True))
