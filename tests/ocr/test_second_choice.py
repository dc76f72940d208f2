"""A line of digits the English model nearly read otherwise (a close second choice): shown as
the Japanese model reads it where that model confirms the second choice and reads the rest
alike (`plausible.second_choice_confirmed`), and flagged either way."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.ocr.plausible import second_choice_confirmed
from tests.ocr.one_read import read_dev_form

# VL Gothic's postal code 7837707 as the English model read it (development form 1294): its
# first 7 as 1 at 96, 7 its second choice at 84.
SYMBOLS = (
    ("1", 96.0),
    ("8", 99.6),
    ("3", 99.5),
    ("7", 99.1),
    ("7", 99.3),
    ("0", 99.5),
    ("7", 98.5),
)
OTHERS = (
    (("7", 83.8), ("T", 1.9)),
    (("3", 0.0),),
    (("5", 0.0),),
    (("1", 19.3),),
    (("1", 12.7),),
    (("6", 0.0),),
    (("1", 45.8),),
)


@pytest.mark.parametrize(
    ("by_jpn", "shown"),
    [
        ("7837707", "7837707"),  # the second choice confirmed, the rest alike
        ("1837707", None),  # read alike: nothing to put
        ("7837767", None),  # and another digit otherwise, with no second choice there
        ("4837707", None),  # otherwise, but not as the second choice
        ("837707", None),  # a digit lost
        ("", None),  # not read again
    ],
)
def test_second_choice_confirmed(by_jpn: str, shown: str | None) -> None:
    assert second_choice_confirmed("1837707", SYMBOLS, OTHERS, by_jpn) == shown


def test_a_choice_below_the_close_second_is_not_put() -> None:
    others = ((("7", 40.0),), *OTHERS[1:])
    assert second_choice_confirmed("1837707", SYMBOLS, others, "7837707") is None


def test_a_postal_code_whose_first_7_was_read_1_shows_7(tmp_path: Path) -> None:
    """Development form 1294 (VL Gothic): the English model read 1837707 for 7837707; the
    Japanese model, asked because 7 was that 1's close second choice, reads 7837707."""
    made, result = read_dev_form(1294, tmp_path)
    postal = result.fields["postal"]
    assert made.expected["postal"] == "7837707"
    assert (postal.value, postal.needs_review, postal.review_reason) == (
        "7837707",
        True,
        "confusable",
    )
