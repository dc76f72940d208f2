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
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

# Column runs closer together than this (times the line's height) from the glyph's first column
# are one glyph: the two strokes of ハ, ル, 川 or 沖, a dakuten beside its kana. A line's ink can
# be as low as 0.76 of an em (Noto Serif's ハル ミツル), and ル's strokes span 0.9 of one.
# Random kana names (with small kana and ー) rendered in six faces at 200, 240 and 300 dpi,
# 1,080 lines: glyphs counted wrong in 28 at 1.05, 1 at 1.2, none at 1.25 and 1.3, 3 at 1.35
# (neighbours merged); the development and tuning sets' 584 name, kana and address lines are
# counted the same from 1.05 to 1.35.
GLYPH_WIDTH = 1.25
# Ink in a run of columns under this many pixels is a speck a scan left, not a stroke: 0.1 mm²
# at 300 dpi, as digit_runs.RUN_MIN_MM2.
SPECK_PX = 14
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


def even_spans(mask: NDArray[np.bool_], count: int) -> list[tuple[int, int]]:
    """The line's runs of inked columns made `count` glyphs, left to right, the widest of
    them as narrow as can be: full-width characters are about an em wide each, however many
    strokes stand apart in them. `glyph_spans` joins runs up to GLYPH_WIDTH from a glyph's
    first column (set for kana, whose ink may be lower than an em), and in a line of kanji
    took a stroke of the next glyph: Noto Sans CJK's 小川 康弘 at 3.4 mm came back as four
    glyphs 小+丿, 丨丨, 康, 弘, spaced evenly. Names of the development corpus (264 family and
    given names in six faces at 3.4-4.8 mm): spaces found 6,306 -> 6,336 of 6,336 (8 had been
    put in the wrong place), typed without one 33 -> 7 spaces put in. Empty where the runs
    are fewer than `count` (glyphs touch), and where a glyph made is wider than GLYPH_WIDTH
    of the line's height: two characters were joined, so the runs are not the characters
    (a speck a scan left after 佐藤 counted as a glyph, 佐藤 became one, and a space was
    found between it and the speck)."""
    inked = np.concatenate(([False], mask.any(axis=0), [False]))
    starts = np.flatnonzero(inked[1:] & ~inked[:-1]).tolist()
    ends = np.flatnonzero(~inked[1:] & inked[:-1]).tolist()
    kept = [(a, b) for a, b in zip(starts, ends, strict=True) if mask[:, a:b].sum() >= SPECK_PX]
    starts, ends = [a for a, _ in kept], [b for _, b in kept]
    runs = len(starts)
    if count < 1 or runs < count:
        return []
    # widest[k, j]: the narrowest widest glyph the first j runs make as k glyphs, the last of
    # them starting at run first[k, j].
    widest: dict[tuple[int, int], int] = {(0, 0): 0}
    first: dict[tuple[int, int], int] = {}
    for k in range(1, count + 1):
        for j in range(k, runs - count + k + 1):
            widest[k, j], first[k, j] = min(
                (max(widest[k - 1, i], ends[j - 1] - starts[i]), i)
                for i in range(k - 1, j)
                if (k - 1, i) in widest
            )
    spans, j = [], runs
    for k in range(count, 0, -1):
        i = first[k, j]
        spans.append((starts[i], ends[j - 1]))
        j = i
    rows = np.flatnonzero(mask.any(axis=1))
    if widest[count, runs] > GLYPH_WIDTH * (rows[-1] - rows[0] + 1):
        return []
    return spans[::-1]


# A kana pair at least KANA_SPACED of the height apart and this much wider than the closest
# pair may have a space between them or not: Noto Serif CJK's ミヤザキ エミ, the space not read
# by the engine, 1.41 and 1.28; IPAexGothic's イトウ, typed without one, up to 1.37 and 1.26
# (ト sits off its cell's centre). Development and tuning sets: of their 232 kana names it took
# in 61 where the ink found no space (development form 188 among them); unspaced, 8 of the
# names' 464 words cut out alone and 17 of 486 kana lines rendered in six faces at 3.8-4.8 mm
# (all IPAexGothic).
KANA_UNSURE_TO_CLOSEST = 1.20


@dataclass(frozen=True)
class _Widest:
    place: int  # how many characters come before the widest pair's gap
    height_ratio: float  # its centre distance over the line's ink height
    closest_ratio: float  # over the closest pair's
    kana: bool  # either of the pair is kana
    pairs: int  # neighbours both full-width in the line


def word_gap(mask: NDArray[np.bool_], chars: str) -> int | None:
    """How many of `chars` come before the space the ink shows, or None: no space, or the
    glyphs cannot be matched one to one with the characters (then nothing is decided)."""
    widest = _widest_pair(mask, chars)
    if widest is None:
        return None
    if widest.kana:
        spaced = (
            widest.height_ratio >= KANA_SPACED
            and widest.pairs > 1
            and widest.closest_ratio >= KANA_SPACED_TO_CLOSEST
        )
    else:
        spaced = widest.height_ratio >= KANJI_SPACED
    return widest.place if spaced else None


def space_elsewhere(mask: NDArray[np.bool_], text: str) -> bool:
    """A line read with one space, whose ink shows the gap between its words after another
    of its characters: Noto Sans CJK's ヤマモト トモコ came back "ヤマモトト モコ" at 94, every
    letter at 99, the ink's gap (one `unsure_gap` finds) after the fourth (development form
    749)."""
    words = text.split()
    if len(words) != 2:
        return False
    chars = "".join(words)
    gap = word_gap(mask, chars)
    if gap is None:
        gap = unsure_gap(mask, chars)
    return gap is not None and gap != len(words[0])


def unsure_gap(mask: NDArray[np.bool_], chars: str) -> int | None:
    """How many of `chars` come before kana neighbours nearly as far apart as a space makes
    them, which `word_gap` did not take for one (whether a space is there, the ink does not
    say); None where there are none."""
    widest = _widest_pair(mask, chars)
    unsure = (
        widest is not None
        and widest.kana
        and widest.pairs > 1
        and widest.height_ratio >= KANA_SPACED
        and KANA_UNSURE_TO_CLOSEST <= widest.closest_ratio < KANA_SPACED_TO_CLOSEST
    )
    return widest.place if unsure and widest is not None else None


def spaced_as_read_again(chars: str, place: int, readings: Sequence[str]) -> bool:
    """Whether a reading of the same line again holds `chars`, and a space only after the
    first `place` of them: the gap the ink could not decide, read as a space."""
    return f"{chars[:place]} {chars[place:]}" in (" ".join(text.split()) for text in readings)


def _widest_pair(mask: NDArray[np.bool_], chars: str) -> _Widest | None:
    """The neighbours, both full-width, whose glyph centres are furthest apart."""
    kanji = _full_width(chars) and not any(_kana(char) for char in chars)
    spans = even_spans(mask, len(chars)) if kanji else glyph_spans(mask)
    if len(spans) != len(chars) or len(chars) < 2:
        return None
    rows = np.flatnonzero(mask.any(axis=1))
    height = float(rows[-1] - rows[0] + 1)
    centres = [(left + right) / 2 for left, right in spans]
    pairs = [i for i in range(len(chars) - 1) if _full_width(chars[i : i + 2])]
    if not pairs:
        return None
    distance = {i: centres[i + 1] - centres[i] for i in pairs}
    widest = max(pairs, key=lambda i: distance[i])
    return _Widest(
        widest + 1,
        distance[widest] / height,
        distance[widest] / min(distance.values()),
        _kana(chars[widest]) or _kana(chars[widest + 1]),
        len(pairs),
    )


def _full_width(chars: str) -> bool:
    return all(unicodedata.east_asian_width(char) in ("W", "F") for char in chars)


def _kana(char: str) -> bool:
    return "\u3041" <= char <= "\u30ff"


# Kana whose ink stands off its cell's centre by more than 0.045 of an em (the voicing marks
# sit at the top right; ト, レ, イ, メ, ン lean): up to 0.11 (IPAexGothic's ド). Every other
# katakana and ー stays within 0.05. Measured on the development set's four faces, IPAexGothic
# and Noto Sans and Serif CJK Bold, all 90 katakana.
LEANING_KANA = frozenset("ィイガギグゲゴザジズゾダヂッヅデトドバパビピブプボポメレンヴヵヶ")
LEANING_OFF_CENTRE = 0.12  # of the pitch: how far a leaning kana's ink centre may stand off
CENTRED_OFF_CENTRE = 0.055  # any other's
# What blur and a scan's resampling move a glyph's edges by, of the line's ink height.
EDGE_BLUR = 0.03
# A kana line's pitch (one em) over its second tallest glyph's ink height (`_glyph_height`):
# 1.12-1.41 in the faces above at 3.8-4.8 mm.
PITCH_PER_HEIGHT = (1.05, 1.5)
# A space's width, of the pitch: Noto Sans CJK's is 0.224, VL Gothic's 0.5, a full-width
# space 1.
SPACE_PER_PITCH = (0.18, 1.1)
# How much better (the misfit's ratio) a layout must fit the glyph centres than the other
# for the ink to decide between a space and none. Rendered katakana names (bench.kana_spaces,
# seed 1: 300 typed with the space, 300 without, five faces, 200-300 dpi, 3.8-4.8 mm): typed
# without a space, the best space fitted up to 2.6 times worse than none (none itself within
# 0.81 of the bounds); typed with one, none fitted at least 1.65 times worse than it.
KANA_SPACE_DECIDES = 3.0
KANA_NO_SPACE_DECIDES = 1.3
# Misfits below this are all as good (a scan's line never fits closer): their ratio says nothing.
MISFIT_FLOOR = 0.05


@dataclass(frozen=True)
class KanaSpace:
    place: int | None  # how many characters come before the space; None: no space
    decided: bool  # the ink shows it; else it could be either (the place the likelier)
    # How far off its pitch each layout leaves the glyphs (1: as far as a glyph's ink may
    # stand off its cell's centre), by the place of its space (0: none).
    misfit: tuple[float, ...]


def kana_space(mask: NDArray[np.bool_], chars: str) -> KanaSpace | None:
    """Whether a katakana line of `chars` has a space, and after which of them, judged on
    the line's own pitch: full-width kana advance one em each, so with no space the glyphs'
    centres stand at the cells of an even pitch, each off its cell's centre no more than its
    ink is in the faces measured; a space shifts every cell after it by a quarter to a whole
    em. Each layout is fitted (pitch, start and the space's width free within their ranges):
    the ink decides where one fits much better than the other, else the line is unsure.
    Noto Sans CJK's サカモト エミ (the space a quarter em, beside a narrow ト) came back as
    one word at 96 from the engine, and the centre distances' rule (`word_gap`) found no
    space (development form 921). None where the chars are not all full-width kana, or
    the glyphs cannot be matched one to one with them."""
    if len(chars) < 2 or not all(_kana(char) and _full_width(char) for char in chars):
        return None
    fits = [
        tuple(
            _misfit(spans, chars, _glyph_height(mask, spans), place) for place in range(len(chars))
        )
        for spans in (glyph_spans(mask), even_spans(mask, len(chars)))
        if len(spans) == len(chars)
    ]
    if not fits:
        return None
    # The glyphs cut as they fit best: `glyph_spans` joined ト with a stroke of リ in
    # ハットリ, even_spans does not.
    misfit = min(fits, key=min)
    place = misfit.index(min(misfit[1:]), 1)
    none, spaced = (max(value, MISFIT_FLOOR) for value in (misfit[0], misfit[place]))
    # Or where the space is the one layout the glyphs fit at all.
    alone = misfit[0] > 1 and [at for at, value in enumerate(misfit) if value <= 1] == [place]
    if spaced <= 1 and (none >= KANA_SPACE_DECIDES * spaced or alone):
        return KanaSpace(place, True, misfit)
    if none <= 1 and none < KANA_NO_SPACE_DECIDES * spaced:
        return KanaSpace(None, True, misfit)
    return KanaSpace(place, False, misfit)


def _glyph_height(mask: NDArray[np.bool_], spans: Sequence[tuple[int, int]]) -> float:
    """The ink height of the line's second tallest glyph (of its taller one, of two): a speck
    a scan left above one glyph made development form 1's ハラダ レン 55 px high, its kana 34-43."""
    heights = sorted(
        float(rows[-1] - rows[0] + 1)
        for rows in (np.flatnonzero(mask[:, left:right].any(axis=1)) for left, right in spans)
    )
    return heights[-2] if len(heights) > 2 else heights[-1]


def _misfit(spans: Sequence[tuple[int, int]], chars: str, height: float, place: int) -> float:
    """The least factor of each glyph's allowed distance off its cell's centre at which
    the glyphs fit cells of an even pitch, with a space after `place` of them (0: none);
    infinite past 8."""
    left = np.array([a for a, _ in spans], float)
    right = np.array([b for _, b in spans], float)
    low = max(PITCH_PER_HEIGHT[0] * height, float((right - left).max()) - EDGE_BLUR * height)
    pitches = np.arange(low, PITCH_PER_HEIGHT[1] * height, 0.25)
    if pitches.size == 0:
        return float("inf")
    off = np.array(
        [LEANING_OFF_CENTRE if char in LEANING_KANA else CENTRED_OFF_CENTRE for char in chars]
    )
    # Each glyph's centre less its cell's centre from the line's start: the same for all the
    # glyphs before the space, and for all after it (larger by the space), within the slack.
    base = (left + right)[None, :] / 2 - (np.arange(len(chars)) + 0.5)[None, :] * pitches[:, None]
    allowed = off[None, :] * pitches[:, None] + EDGE_BLUR * height

    def fits(factor: float) -> bool:
        low_end, high_end = base - factor * allowed, base + factor * allowed
        if place == 0:
            return bool(np.any(low_end.max(axis=1) <= high_end.min(axis=1)))
        before_low, before_high = low_end[:, :place].max(axis=1), high_end[:, :place].min(axis=1)
        after_low, after_high = low_end[:, place:].max(axis=1), high_end[:, place:].min(axis=1)
        shortest, longest = (width * pitches for width in SPACE_PER_PITCH)
        return bool(
            np.any(
                (before_low <= before_high)
                & (after_low <= after_high)
                & (after_low - before_high <= longest)
                & (after_high - before_low >= shortest)
            )
        )

    low_factor, high_factor = 0.0, 8.0
    if not fits(high_factor):
        return float("inf")
    for _ in range(16):
        middle = (low_factor + high_factor) / 2
        low_factor, high_factor = (low_factor, middle) if fits(middle) else (middle, high_factor)
    return high_factor
