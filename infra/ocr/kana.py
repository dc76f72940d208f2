"""A katakana line read again with its glyphs set apart, and how many characters its ink holds.

Kana in Japanese faces is set full-width, one character a cell, so the ink's glyphs
(`spacing.glyph_spans`) count the characters written: on 192 development and 40 tuning forms
the count was right on every kana field. Read as a line, the engine sometimes doubles a glyph
or drops one (VL Gothic's アベ came back "アベベ", Sawarabi Mincho's アオキ トモコ "アオキモコ")
or reads one as another with little confidence (ヒ as モ). Read again with white set between
the glyphs it gives as many characters as there are glyphs far more often.

Pure numpy on a grayscale crop (0 black .. 255 white) and its ink mask of one horizontal line.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from infra.ocr import spacing

Gray = NDArray[np.uint8]

# White set between two glyphs, times the line's ink height. Development set (192 forms), every
# kana field read again this way: 183 gave the characters written, the other 9 one character
# too many (small ュ and ォ read twice), never one wrong at the right count.
SPREAD = 0.5
MARGIN_PX = 20  # white around the line, as a field's crop is padded for the engine


def glyph_count(mask: NDArray[np.bool_]) -> int:
    """How many characters the line's ink holds, one a glyph."""
    return len(spacing.glyph_spans(mask))


def set_apart(crop: Gray, mask: NDArray[np.bool_]) -> Gray:
    """The line's glyphs side by side, each cut tight to its columns, SPREAD of the line's
    height apart; only the ink is kept (border remnants and specks are left out)."""
    spans = spacing.glyph_spans(mask)
    rows = np.flatnonzero(mask.any(axis=1))
    if not spans:
        return np.full((2 * MARGIN_PX, 2 * MARGIN_PX), 255, np.uint8)
    top, bottom = int(rows[0]), int(rows[-1]) + 1
    inked = np.where(mask[top:bottom], crop[top:bottom], 255).astype(np.uint8)
    gap = np.full((bottom - top, max(1, round(SPREAD * (bottom - top)))), 255, np.uint8)
    pieces: list[Gray] = []
    for left, right in spans:
        pieces += [inked[:, left:right], gap]
    line = np.concatenate(pieces[:-1], axis=1)
    return np.pad(line, MARGIN_PX, constant_values=255)


def spaced_as(chars: str, first: str) -> str:
    """`chars` (read without spaces) with the spaces of `first`, the line's first reading,
    where that reading gave as many characters: the engine's space, where it read one, holds
    better than one measured on the ink."""
    if len(chars) != sum(1 for char in first if not char.isspace()):
        return chars
    out, placed = [], iter(chars)
    for char in first:
        out.append(" " if char.isspace() else next(placed))
    return " ".join("".join(out).split())
