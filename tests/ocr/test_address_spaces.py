"""Addresses as the engine reads them and as they are printed: a space on one side of a
hyphen between digits (6-10-16), 丁目 read 」目 or 目, and spaces inside a listed place name are
not the paper's (`plausible.hyphen_spaces_closed`, `plausible.chome_restored`,
`places.names_unspaced`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from handlers.ocr.places import names_unspaced
from handlers.ocr.plausible import chome_restored, hyphen_spaces_closed
from handlers.ocr.reading import field_value
from schemas.forms import FormField
from tests.ocr.dev_corpus import FACES as DEV_FACES
from tests.ocr.one_read import read_one_box

# Debian's fonts-vlgothic (`make test` installs it with the other faces, `make fonts`).
VL_GOTHIC = Path("/usr/share/fonts/truetype/vlgothic/VL-Gothic-Regular.ttf")
SAWARABI = DEV_FACES[3][0]
ADDRESS = FormField(name="address", label="住所", kind="text", box_mm=(65.0, 86.0, 130.0, 11.0))
TODAY = date(2026, 11, 1)


@pytest.mark.parametrize(
    ("read", "shown"),
    [
        ("加納町6 -10-16", "加納町6-10-16"),
        ("国泰寺町5- 12-11", "国泰寺町5-12-11"),
        ("本町7 -17 -19", "本町7-17-19"),
        ("青木１ －２２", "青木１－２２"),  # full width, as read
        ("西新宿2-8-1 - 101", "西新宿2-8-1 - 101"),  # spaced both sides: may be a speck
        ("青木1-22-3 101号室", "青木1-22-3 101号室"),  # a space between words stays
        ("ハイツ - 101", "ハイツ - 101"),  # a hyphen after a word: not between digits
        ("6 ー10", "6 ー10"),  # a long-vowel mark is not a hyphen (flagged elsewhere)
    ],
)
def test_only_spaces_beside_a_hyphen_between_digits_are_closed(read: str, shown: str) -> None:
    assert hyphen_spaces_closed(read) == shown


@pytest.mark.parametrize(
    ("read", "shown"),
    [
        ("山王7 」目25-17", "山王7丁目25-17"),
        ("旭6 ]目5番13号", "旭6丁目5番13号"),
        ("泉崎2目11番12号", "泉崎2丁目11番12号"),
        ("旭1 丁目30番18号", "旭1丁目30番18号"),
        ("山王2丁目6番6号", "山王2丁目6番6号"),
        ("3番目の窓口", "3番目の窓口"),  # 目 after another kanji: not 丁目
        ("目黒1-2-3 目黒ハイツ101", "目黒1-2-3 目黒ハイツ101"),  # 目 starting a word
        ("町2目黒", "町2目黒"),
        ("二番町目", "二番町目"),  # no number before it
    ],
)
def test_chome_after_a_number_is_restored(read: str, shown: str) -> None:
    assert chome_restored(read) == shown


@pytest.mark.parametrize(
    ("read", "names_end", "shown"),
    [
        ("秋田県秋 田市山王", 6, "秋田県秋田市山王"),
        ("秋田県秋田 市山王", 6, "秋田県秋田市山王"),
        ("秋田県 秋田市山王", 6, "秋田県 秋田市山王"),  # between two names: as written
        ("秋田県秋田市 山王", 6, "秋田県秋田市 山王"),  # after the names: not checked
        ("930-0094 富山県富山市総曲輪", 13, "930-0094 富山県富山市総曲輪"),  # after a code
    ],
)
def test_spaces_inside_a_place_name_are_dropped(read: str, names_end: int, shown: str) -> None:
    assert names_unspaced(read, names_end) == shown


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
    value = field_value(ADDRESS, reading, True, TODAY)
    assert (value.value, value.needs_review) == (printed, False), value


@pytest.mark.skipif(not SAWARABI.is_file(), reason="Sawarabi Mincho is not installed")
@pytest.mark.parametrize(
    ("printed", "size_mm", "read", "trusted"),
    [
        # 丁 read 」 or dropped: shown as printed, never trusted, as a letter was not read.
        ("青森県弘前市下白銀町2丁目1番4号", 4.64, "青森県弘前市下白銀町2 」目1番4号", False),
        ("沖縄県那覇市泉崎2丁目11番12号", 4.55, "沖縄県那覇市泉崎2目11番12号", False),
        # A space inside 秋田市, at 92: trusted with it before, as it is now without.
        ("秋田県秋田市山王2丁目6番6号", 4.46, "秋田県秋 田市山王2丁目6番6号", True),
    ],
)
def test_a_mincho_address_is_shown_as_printed(
    printed: str, size_mm: float, read: str, trusted: bool
) -> None:
    reading = read_one_box(printed, SAWARABI, size_mm)
    assert reading.raw == read  # the engine's reading this probe was kept for
    value = field_value(ADDRESS, reading, True, TODAY)
    assert (value.value, value.needs_review) == (printed, not trusted), value
