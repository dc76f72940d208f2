"""A second opinion on a printed `text` line the fast model doubted: the same image read again
by a larger network (tessdata's jpn, `tesseract.second_jpn_api`), and the two readings put side
by side character by character.

The larger network reads the kanji of names the fast one misreads (蓮 read 夢, 三郎 read 三朗,
妻 read 表), but it is slower and reads kana and digits worse (circled digits, a kana line in
pieces), so it is asked only about doubted lines, it may change only letters (digits are the
English model's to doubt, `digit_runs.py`), and only where both readings hold as many
characters. Its agreement is no proof: both networks read 髙 as 高 and 嵜 as 寄, and both
drop a glyph neither knows (a city's 外字), so agreement raises only the line's confidence,
only when the larger network was sure of the whole line and no member of a confusable pair was
in doubt; each letter keeps the score the fast model gave it.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from infra.ocr.confusables import ALWAYS_DOUBTFUL, CONFUSABLE_MIN_CONFIDENCE, DOUBTFUL_WHEN_UNSURE

Symbols = Sequence[tuple[str, float]]

# A line is asked again when one of its letters was read with less than this, or the line with
# less than SECOND_LINE_BELOW, or it holds a character of a confusable pair. Set on the
# development set (192 forms): every kanji misread there was in such a line.
SECOND_LETTER_BELOW = 95.0
SECOND_LINE_BELOW = 90.0
# Read alike, a line's doubt is cleared only when the larger network read it with at least this.
# Set on 65 rendered names holding 髙, 齊 or 邉 in five faces (not the development, tuning or
# report sets): both networks read 髙橋 一郎 as 高橋 一郎, the larger at 92 to 95; at 95, with
# pair members' scores never raised, no name flagged without the second opinion came back
# trusted and wrong. It cost the development set's flagged share 3.22 -> 3.74 %.
AGREED_MIN_CONFIDENCE = 95.0
# Name characters with a rare variant (異体字) only the larger network reads (邉, 齊): cut
# tight, the line's readings again mostly give the common twin, so where the two networks
# differ on one of these, the surer letter stands and the readings again are not counted.
# bench.ocr_variants: IPAexGothic's 渡邉 正, read 渡邉 by the larger network, came back 渡邊 by
# five readings of six.
VARIANT_TWINS = frozenset("郎朗崎﨑嵜高髙斉斎齋齊沢澤辺邊邉吉𠮷富冨")
PAIRS = ALWAYS_DOUBTFUL | DOUBTFUL_WHEN_UNSURE

Verdict = Literal["not_asked", "agreed", "differed", "unaligned"]


@dataclass(frozen=True)
class Merged:
    text: str  # the first reading's spacing, each letter the more confident reading's
    symbols: tuple[tuple[str, float], ...]
    verdict: Verdict


def doubted(text: str, symbols: Symbols, confidence: float) -> bool:
    """Whether a line is worth a second opinion (a line read as nothing is not)."""
    if not text.strip():
        return False
    if confidence < SECOND_LINE_BELOW:
        return True
    return any(
        char in ALWAYS_DOUBTFUL or (_letter(char) and score < SECOND_LETTER_BELOW)
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


def merged(text: str, first: Symbols, second: Symbols, again: Sequence[str] = ()) -> Merged:
    """Both readings of a line side by side. Where they hold as many characters: a letter read
    otherwise is the one most readings give, counting the two and those `again` (the line read
    again, `fields._second_opinion`) that hold as many characters; on a tie, or where either is
    one of VARIANT_TWINS, the more confident reading's. It keeps the first reading's score
    (still a doubt: `_doubted_at` may put a place name right there); any other character
    stays the first's. A character read alike keeps
    the first reading's score: agreement is no proof of a letter (both networks read 嵜 as
    寄), so a letter the fast model was unsure of stays unsure. The verdict says whether they
    differed anywhere. Else the first reading stands, `unaligned`."""
    ours, theirs = letters(first), letters(second)
    if len(ours) != len(theirs) or "".join(c for c, _ in ours) != "".join(text.split()):
        return Merged(text, tuple(first), "unaligned")
    counted = [read for read in (_letters_of(text) for text in again) if len(read) == len(ours)]
    chosen = []
    differed = False
    for place, ((mine, my_score), (other, other_score)) in enumerate(
        zip(ours, theirs, strict=True)
    ):
        if mine != other:
            differed = True
            if _letter(mine) and _letter(other):
                surer = other if other_score > my_score else mine
                if mine in VARIANT_TWINS or other in VARIANT_TWINS:
                    chosen.append((surer, my_score))
                    continue
                votes = Counter([mine, other, *(read[place] for read in counted)])
                chosen.append((_most_read(votes, surer), my_score))
                continue
        chosen.append((mine, my_score))
    return Merged(_spaced_like(text, chosen), tuple(chosen), "differed" if differed else "agreed")


def _letters_of(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", "".join(text.split())).split())


def _most_read(votes: Counter[str], surer: str) -> str:
    """The letter read most often; `surer` when another is read as often as it."""
    (top, count), *rest = votes.most_common()
    return top if not rest or rest[0][1] < count else surer


def agreement_clears(first: Symbols, larger_confidence: float) -> bool:
    """Whether two readings alike may stand for a sure one: the larger network sure of the
    line, and no member of a confusable pair read unsure by the fast one."""
    if larger_confidence < AGREED_MIN_CONFIDENCE:
        return False
    return not any(c in PAIRS and s < CONFUSABLE_MIN_CONFIDENCE for c, s in first)


def _letter(char: str) -> bool:
    """A letter of a word: kanji, kana, 々 and ー, Latin letters; not a digit or a mark (read
    across its whole box, a lone 妻 came back "=" from the larger network)."""
    return unicodedata.category(char)[0] == "L"


def _spaced_like(text: str, chosen: Symbols) -> str:
    """The chosen characters with the first reading's spaces where they were."""
    out, letters_left = [], iter(chosen)
    for char in text:
        out.append(char if char.isspace() else next(letters_left)[0])
    return "".join(out)
