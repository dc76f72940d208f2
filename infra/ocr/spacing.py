"""Where a typed space falls in a line of Japanese, measured on the ink.

The engine sometimes reads the space between family and given name as nothing ("坂本 修" came
back "坂本修" at 91). The ink still shows it: a full-width character advances one em, so the
centres of neighbouring glyphs are an em apart, and a space adds its own width (a quarter to
half an em in the faces measured) to one of those distances.

Pure numpy on an ink mask of one horizontal line (True where ink), the characters read in it
given without spaces.
"""

from __future__ import annotations

import unicodedata

import numpy as np
from numpy.typing import NDArray

# Column runs closer together than this (times the line's height) from the glyph's first column
# are one glyph: the two strokes of ハ, 川 or 沖, a dakuten beside its kana.
GLYPH_WIDTH = 1.05
# Centre distance over the line's ink height at and above which two neighbours have a space
# between them. Development (Noto Serif/Sans CJK, VL Gothic, Sawarabi Mincho; 96 forms) and
# tuning (IPAexGothic; 80 forms) sets, measured as the worker measures (box crops at 300 dpi),
# neighbours both full-width: kanji without a space 0.56-1.17, with one 1.25-1.68.
KANJI_SPACED = 1.21
# Kana spread wider (narrow ト and イ sit off their cell's centre): without a space up to 1.38
# of the height, with one from 1.3. So a kana pair must also stand out from the line's closest
# pair: without a space up to 1.26 of it (or 1.35 at 0.86 of the height), with one 1.16-1.68.
KANA_SPACED = 1.30
KANA_SPACED_TO_CLOSEST = 1.30


def glyph_spans(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Left and right (exclusive) column of each glyph, left to right."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return []
    height = rows[-1] - rows[0] + 1
    inked = np.concatenate(([False], mask.any(axis=0), [False]))
    starts = np.flatnonzero(inked[1:] & ~inked[:-1])
    ends = np.flatnonzero(~inked[1:] & inked[:-1])
    spans: list[tuple[int, int]] = []
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        if spans and end - spans[-1][0] <= GLYPH_WIDTH * height:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def word_gap(mask: NDArray[np.bool_], chars: str) -> int | None:
    """How many of `chars` come before the space the ink shows, or None: no space, or the
    glyphs cannot be matched one to one with the characters (then nothing is decided)."""
    spans = glyph_spans(mask)
    if len(spans) != len(chars) or len(chars) < 2:
        return None
    rows = np.flatnonzero(mask.any(axis=1))
    height = float(rows[-1] - rows[0] + 1)
    centres = [(left + right) / 2 for left, right in spans]
    pairs = [i for i in range(len(chars) - 1) if _full_width(chars[i : i + 2])]
    if not pairs:
        return None
    distance = {i: centres[i + 1] - centres[i] for i in pairs}
    closest = min(distance.values())
    widest = max(pairs, key=lambda i: distance[i])
    ratio = distance[widest] / height
    if _kana(chars[widest]) or _kana(chars[widest + 1]):
        spaced = (
            ratio >= KANA_SPACED
            and len(pairs) > 1
            and distance[widest] >= KANA_SPACED_TO_CLOSEST * closest
        )
    else:
        spaced = ratio >= KANJI_SPACED
    return widest + 1 if spaced else None


def _full_width(chars: str) -> bool:
    return all(unicodedata.east_asian_width(char) in ("W", "F") for char in chars)


def _kana(char: str) -> bool:
    return "\u3041" <= char <= "\u30ff"
