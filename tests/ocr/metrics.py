"""How good a reading is: character error rate for page text, and field scores for forms.

Shared by `tests/ocr/test_quality.py` (floors) and `bench/ocr.py` (figures against targets),
so both measure the same thing the same way.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from schemas.ocr import DocumentResult


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions each cost 1), two DP rows."""
    if len(a) < len(b):
        a, b = b, a  # the shorter string is the row: O(min(len)) memory
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(
                min(
                    previous[j] + 1,  # delete char_a
                    current[j - 1] + 1,  # insert char_b
                    previous[j - 1] + (char_a != char_b),  # substitute (or keep)
                )
            )
        previous = current
    return previous[-1]


def comparable(text: str) -> str:
    """NFKC, then every whitespace character dropped: Japanese has no word spaces, and where
    Tesseract puts line breaks and gaps is layout, not reading."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def cer(truth: str, read: str) -> float:
    """Character error rate: edits from the truth to the reading ÷ characters in the truth."""
    expected, got = comparable(truth), comparable(read)
    if not expected:
        return 0.0 if not got else 1.0
    return levenshtein(expected, got) / len(expected)


def same_value(expected: object, got: object) -> bool:
    """Equal and of the same type: a checkbox's True is not the integer 1."""
    return type(expected) is type(got) and expected == got


@dataclass(frozen=True)
class FieldScore:
    """Counts over one or more forms.

    total: fields expected; exact: read value equals the expected one (right, whether or not
    it was flagged); flagged: sent to staff review (needs_review); wrong_unflagged: wrong,
    or missing, and *not* flagged -- the errors nobody would look at.
    """

    total: int = 0
    exact: int = 0
    flagged: int = 0
    wrong_unflagged: int = 0

    def __add__(self, other: FieldScore) -> FieldScore:
        return FieldScore(
            self.total + other.total,
            self.exact + other.exact,
            self.flagged + other.flagged,
            self.wrong_unflagged + other.wrong_unflagged,
        )

    @property
    def exact_rate(self) -> float:
        return self.exact / self.total if self.total else 0.0

    @property
    def flagged_rate(self) -> float:
        return self.flagged / self.total if self.total else 0.0

    @property
    def wrong_unflagged_rate(self) -> float:
        return self.wrong_unflagged / self.total if self.total else 0.0


def score_fields(expected: Mapping[str, object], result: DocumentResult) -> FieldScore:
    """Score one form's result against the values it was filled with."""
    exact = flagged = wrong_unflagged = 0
    for name, want in expected.items():
        value = result.fields.get(name)
        if value is None:  # a field the result does not have at all: wrong, and nobody told
            wrong_unflagged += 1
            continue
        right = same_value(want, value.value)
        exact += right
        flagged += value.needs_review
        wrong_unflagged += not right and not value.needs_review
    return FieldScore(len(expected), exact, flagged, wrong_unflagged)


def total_score(scores: Iterable[FieldScore]) -> FieldScore:
    return sum(scores, FieldScore())


def wrong_fields(expected: Mapping[str, object], result: DocumentResult) -> dict[str, object]:
    """Name -> (expected, read, needs_review) of each field not read exactly: for messages."""
    wrong: dict[str, object] = {}
    for name, want in expected.items():
        value = result.fields.get(name)
        if value is None or not same_value(want, value.value):
            wrong[name] = (want, value.value if value else None, value and value.needs_review)
    return wrong
