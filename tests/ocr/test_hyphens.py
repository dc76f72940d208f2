"""Hyphenated addresses (住居表示, 6-10-16): the spaces the engine reads beside a hyphen
between digits are not the paper's (`plausible.hyphen_spaces_closed`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from handlers.ocr.plausible import hyphen_spaces_closed
from handlers.ocr.reading import field_value
from schemas.forms import FormField
from tests.ocr.one_read import read_one_box

# Debian's fonts-vlgothic (`make test` installs it with the other faces, `make fonts`).
VL_GOTHIC = Path("/usr/share/fonts/truetype/vlgothic/VL-Gothic-Regular.ttf")
ADDRESS = FormField(name="address", label="住所", kind="text", box_mm=(65.0, 86.0, 130.0, 11.0))


@pytest.mark.parametrize(
    ("read", "shown"),
    [
        ("加納町6 -10-16", "加納町6-10-16"),
        ("国泰寺町5- 12-11", "国泰寺町5-12-11"),
        ("本町7 -17 -19", "本町7-17-19"),
        ("青木１ － ２２", "青木１－２２"),  # full width, as read: NFKC comes after
        ("青木1-22-3 101号室", "青木1-22-3 101号室"),  # a space between words stays
        ("ハイツ - 101", "ハイツ - 101"),  # a hyphen after a word: not between digits
        ("6 ー10", "6 ー10"),  # a long-vowel mark is not a hyphen (flagged elsewhere)
    ],
)
def test_only_spaces_beside_a_hyphen_between_digits_are_closed(read: str, shown: str) -> None:
    assert hyphen_spaces_closed(read) == shown


@pytest.mark.parametrize(
    ("printed", "size_mm", "read"),
    [
        ("兵庫県神戸市中央区加納町6-10-16", 3.6, "兵庫県神戸市中央区加納町6 -10-16"),
        ("広島県広島市中区国泰寺町5-12-11", 4.7, "広島県広島市中区国泰寺町5- 12-11"),
    ],
)
def test_a_hyphenated_address_is_shown_as_printed(printed: str, size_mm: float, read: str) -> None:
    """VL Gothic's hyphen is narrow in a wide cell: the engine reads a space beside it, every
    character at 90-95, and the address was trusted with the space."""
    reading = read_one_box(printed, VL_GOTHIC, size_mm)
    assert reading.raw == read  # the engine's reading this probe was kept for
    value = field_value(ADDRESS, reading, True, date(2026, 11, 1))
    assert (value.value, value.needs_review) == (printed, False), value
