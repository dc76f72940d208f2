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


# Kana with a small twin, and the twin: the engine reads one for the other (ュ as ユ, ッ as ツ,
# and back) with nothing in its confidence to tell. Hiragana too, as the engine may give it.
SMALL_KANA = "ァィゥェォッャュョヮヵヶぁぃぅぇぉっゃゅょゎ"
FULL_KANA = "アイウエオツヤユヨワカケあいうえおつやゆよわ"
# How far a glyph's middle sits below the middle of the line's full-size glyphs, in ems (the
# distance between glyph centres: kana is set one a cell). A small kana sits on the baseline,
# a full-size one in the middle of its cell. Random kana names with small kana rendered in five
# faces (Noto Serif/Sans CJK, VL Gothic, Sawarabi Mincho, IPAexGothic; 3.8-4.8 mm, blurred, at
# 200 and 300 dpi; 3,000 lines): small ones 0.03 and more below in 99 % of 4,217, full-size ones
# up to 0.06 in 99 % of 2,011. Read as a line, 31 were wrong only in a small kana's size; these
# bounds flag 27 of them, and 44 lines read right (of about 2,700). Changed to the twin where the
# ink is clearer (below 0.01, above 0.09), 16 would have been made right and 7 right ones wrong,
# unflagged: so the line is flagged and its reading left as it is.
SMALL_DROP_MIN = 0.03
FULL_DROP_MAX = 0.06


def size_unsure(mask: NDArray[np.bool_], chars: str) -> bool:
    """A kana read small whose glyph sits as high as the line's full-size ones, or one read
    full-size that sits as low as a small one: which of the two was written, the reading does
    not say. Decided only where the line's glyphs match the characters one to one."""
    chars = "".join(chars.split())
    spans = spacing.glyph_spans(mask)
    if len(spans) != len(chars) or len(chars) < 2:
        return False
    inked = [np.flatnonzero(mask[:, left:right].any(axis=1)) for left, right in spans]
    middles = [(rows[0] + rows[-1] + 1) / 2 for rows in inked]
    tops, bottoms = [rows[0] for rows in inked], [rows[-1] + 1 for rows in inked]
    em = float(np.median(np.diff([(left + right) / 2 for left, right in spans])))
    for place, char in enumerate(chars):
        if char not in SMALL_KANA and char not in FULL_KANA:
            continue
        # The others read full-size (not ー, a bar in the cell's middle) give the line's middle.
        full = [
            other
            for other, seen in enumerate(chars)
            if other != place and seen not in SMALL_KANA and seen not in "ー一"
        ]
        if not full:
            continue
        middle = (np.median([tops[i] for i in full]) + np.median([bottoms[i] for i in full])) / 2
        drop = (middles[place] - middle) / em
        if drop < SMALL_DROP_MIN if char in SMALL_KANA else drop > FULL_DROP_MAX:
            return True
    return False
