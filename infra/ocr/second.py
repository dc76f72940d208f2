"""A second opinion on a line of words the fast model doubted: the same image read again by a
larger network (tessdata's jpn, `tesseract.second_jpn_api`), and the two readings put side by
side character by character.

The larger network reads the kanji of names the fast one misreads (蓮 read 夢, 三郎 read 三朗,
a lone 妻 read 表), but it is slower and reads kana and small digits worse (circled digits, a
kana line in pieces), so it is asked only about doubted lines, and only where both readings hold
as many characters does it change anything.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from infra.ocr.confusables import confusable

Symbols = Sequence[tuple[str, float]]

# A line is asked again when one of its letters was read with less than this, or the line with
# less than SECOND_LINE_BELOW, or it holds a character of a confusable pair (`confusables.py`).
SECOND_LETTER_BELOW = 95.0
SECOND_LINE_BELOW = 90.0

Verdict = Literal["", "agreed", "differed", "unaligned"]


@dataclass(frozen=True)
class Merged:
    text: str  # the first reading's spacing, each character the more confident reading's
    symbols: tuple[tuple[str, float], ...]
    verdict: Verdict


def doubted(symbols: Symbols, confidence: float) -> bool:
    """Whether a line is worth a second opinion."""
    if confidence < SECOND_LINE_BELOW or confusable(symbols):
        return True
    return any(
        unicodedata.category(char)[0] == "L" and score < SECOND_LETTER_BELOW
        for char, score in symbols
    )


def letters(symbols: Symbols) -> list[tuple[str, float]]:
    """The characters read, without spaces, each in its compatibility form (the larger network
    reads 12 as ⑫): every character of an expanded one keeps its symbol's confidence."""
    out = []
    for char, score in symbols:
        for letter in unicodedata.normalize("NFKC", char):
            if not letter.isspace():
                out.append((letter, score))
    return out


def merged(text: str, first: Symbols, second: Symbols) -> Merged:
    """Both readings of a line side by side. Where they hold as many characters, each
    character is the more confident reading's (of the same sort: a letter for a letter) and the
    verdict says whether they differed anywhere; else the first reading stands, `unaligned`."""
    ours, theirs = letters(first), letters(second)
    if len(ours) != len(theirs) or "".join(c for c, _ in ours) != "".join(text.split()):
        return Merged(text, tuple(first), "unaligned")
    chosen = []
    differed = False
    for (mine, my_score), (other, other_score) in zip(ours, theirs, strict=True):
        if mine == other:
            chosen.append((mine, max(my_score, other_score)))
            continue
        differed = True
        surer = other_score > my_score and _same_sort(mine, other)
        chosen.append((other, other_score) if surer else (mine, my_score))
    return Merged(_spaced_like(text, chosen), tuple(chosen), "differed" if differed else "agreed")


def _same_sort(mine: str, other: str) -> bool:
    """Whether the other reading's character may stand for ours: a letter for a letter, a digit
    for a digit (read across its whole box, a lone 妻 came back "=" from the larger network)."""
    return _sort(mine) == _sort(other)


def _sort(char: str) -> str:
    category = unicodedata.category(char)
    return "letter" if category[0] == "L" else category  # 々 and ー are letters too


def _spaced_like(text: str, chosen: Symbols) -> str:
    """The chosen characters with the first reading's spaces where they were."""
    out, letters_left = [], iter(chosen)
    for char in text:
        out.append(char if char.isspace() else next(letters_left)[0])
    return "".join(out)
