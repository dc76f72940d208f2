"""Which of a field's listed words (続柄: 本人, 妻, 長男 …) a line read as none of them holds,
judged from the worker's readings of it again (`infra.ocr.fields._words_again`). Pure.

A reading that is none of the words is a misreading, or a word the list no longer has: the
line read again by both networks, cut tight and not, mostly gives the word written (a lone 母
read 生 by the fast network on its line came back 母 cut tight). Shown only when exactly one
listed word is so read, and still for staff to compare with the scan.
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
    return unicodedata.normalize("NFKC", "".join(text.split())) in words


def word_read_again(
    words: Collection[str], readings: Sequence[tuple[str, float]]
) -> tuple[str, float] | None:
    """The one listed word the readings again give with WORD_AGAIN_MIN or more, with the best
    confidence it was read with; None when they give none, or two different words (二女 and
    三女 from one Mincho line)."""
    found: dict[str, float] = {}
    for text, confidence in readings:
        word = unicodedata.normalize("NFKC", "".join(text.split()))
        if word in words and confidence >= WORD_AGAIN_MIN:
            found[word] = max(confidence, found.get(word, 0.0))
    if len(found) != 1:
        return None
    return next(iter(found.items()))
