"""Which of a field's listed words (続柄: 本人, 妻, 長男 …) a line read as none of them holds,
judged from the worker's readings of it again (`infra.ocr.fields._words_again`). Pure.

A reading that is none of the words is a misreading, or a word the list no longer has: the
line read again by both networks, cut tight and not, mostly gives the word written (a lone 母
read 生 by the fast network on its line came back 母 cut tight). Shown only when one listed
word is read so more often than any other reading, and still for staff to compare with the
scan.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Sequence

# A reading again counts only with at least this confidence: below it a network names noise or
# a fragment (the fast network's line of VL Gothic's 祖父母, not on the list, read 祖父 at 1-27).
# Rendered 続柄 in six faces (756 listed words, 180 unlisted, blurred, specked, JPEG) and the
# development set's 576 forms: 62 lines read as none of the words, shown their word, and none
# shown a wrong one, the same from 0 to 20 (one fewer shown at 30).
WORD_AGAIN_MIN = 20.0


def listed(words: Collection[str], text: str) -> bool:
    """Whether `text` is one of `words`, spaces the engine put between its characters ignored."""
    return as_listed(text) in words


def as_listed(text: str) -> str:
    """`text` as a listed word is written: NFKC, without the spaces the engine put between its
    characters (長 男 is 長男)."""
    return unicodedata.normalize("NFKC", "".join(text.split()))


def word_read_again(
    words: Collection[str], readings: Sequence[tuple[str, float]]
) -> tuple[str, float] | None:
    """The listed word the readings again give most often with WORD_AGAIN_MIN or more, more
    often than any other reading (the line's own misreading among them), with the best
    confidence it was read with; None when there is no such word.

    A word the list lacks is read again as itself: Sawarabi Mincho's 七女 came back 七女 four
    times and 三女 once, VL Gothic's セ女 / 七女 / 三女 twice each, and 三女 had been shown (a code
    review's probe, 36 renders of 七男 and 七女 in six faces). Two listed words as often as each
    other (二女 and 三女 from one Mincho line) show neither."""
    counts: dict[str, int] = {}
    best: dict[str, float] = {}
    for text, confidence in readings:
        if confidence < WORD_AGAIN_MIN:
            continue
        word = as_listed(text)
        counts[word] = counts.get(word, 0) + 1
        best[word] = max(confidence, best.get(word, 0.0))
    if not counts:
        return None
    ranked = sorted(counts.items(), key=lambda item: -item[1])
    top, times = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    if top not in words or times <= runner_up:
        return None
    return top, best[top]
