"""Doubts about a reading that parsed: pure checks, each a reason for staff to look.

They flag, never correct: a name written 髙橋 must stay 髙橋, so a doubtful character goes to a
person rather than to a guess.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

# Pairs (and triples) of name characters the engine confuses in faces it was not trained on.
# The rare variant of a pair is what a misreading usually produces (IPAexMincho's 郎 came back as
# 朗 with the engine 99 % sure), so reading it is always doubtful; the common member is
# doubtful only when the engine was less than sure of it.
ALWAYS_DOUBTFUL = frozenset("朗﨑嵜髙齋齊澤邊邉𠮷")
DOUBTFUL_WHEN_UNSURE = frozenset("郎崎高斉斎沢辺吉バパビピブプベペボポばぱびぴぶぷべぺぼぽ")
# Below this symbol confidence a common member of a confusable pair is doubtful. Set on the
# tuning corpus (IPAexGothic): right readings of these characters scored 97-100 there.
CONFUSABLE_MIN_CONFIDENCE = 95.0

_DIGIT_MARKS = frozenset("0123456789-,")


def confusable(symbols: Sequence[tuple[str, float]]) -> bool:
    """A character of a confusable pair read, and either rare or read with a thin margin."""
    return any(
        char in ALWAYS_DOUBTFUL
        or (char in DOUBTFUL_WHEN_UNSURE and confidence < CONFUSABLE_MIN_CONFIDENCE)
        for char, confidence in symbols
    )


def characters_dropped(raw: str, glyph_runs: int) -> bool:
    """Fewer digits, hyphens and commas read than separate marks were printed in the box.

    Only counts up: touching digits make fewer runs than characters, never more, so more
    runs than characters read means the engine skipped one ("06-1234-5678" read "06-124-5678").
    """
    read = sum(1 for char in unicodedata.normalize("NFKC", raw) if char in _DIGIT_MARKS)
    return glyph_runs > read


def no_letters(text: str) -> bool:
    """Only punctuation or symbols: a mark, a smudge or a ruled line read as text."""
    return not any(unicodedata.category(char)[0] in "LN" for char in text)


# Punctuation a name or an address may hold; any other (」, 『, ※ ...) is a misread stroke
# (IPAexMincho's 丁 in 3丁目 came back as 」).
_PLAIN_PUNCTUATION = frozenset("-‐・ー、。.,()（）'&/")


def stray_punctuation(text: str) -> bool:
    """Punctuation or symbols a written name or address does not have."""
    return any(
        unicodedata.category(char)[0] in "PS" and char not in _PLAIN_PUNCTUATION for char in text
    )
