"""Template mode pays only for what is written: one engine reading per field with ink, none
for a blank one (speed is measured in `make bench`; this counts the work)."""

from __future__ import annotations

import random
import re
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from handlers.ocr.plausible import SURE_DIGITS, digit_dropped, digits_disagree, digits_read_again
from handlers.ocr.reading import assemble, field_value, plan_pages
from infra.ocr import digit_runs, fields, imaging, ink, tesseract, worker
from infra.ocr.readings import FieldBox
from schemas.forms import FormField
from tests.ocr.corpus import (
    MINCHO,
    _form_values,
    load_template,
    render_form,
    save_pdf,
    scan_look,
)
from tests.ocr.dev_corpus import FACES
from tests.ocr.metrics import score_fields
from tests.ocr.one_read import read_dev_form, read_one_box

TODAY = date(2026, 11, 1)
DATA = Path(__file__).parent / "data"
LEFT_BLANK = ("address", "phone")


def test_a_form_costs_one_reading_per_written_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = load_template()
    rng = random.Random(10_001)
    written, expected = _form_values(rng)
    for name in LEFT_BLANK:
        written.pop(name)
        expected[name] = ""
    page = scan_look(render_form(template, written), rng)
    path = save_pdf([page], tmp_path / "form.pdf")

    readings: list[Any] = []
    engine_read = tesseract.ocr

    def counted(*args: Any, **kwargs: Any) -> tuple[str, float]:
        readings.append(args[0].size)
        return engine_read(*args, **kwargs)

    monkeypatch.setattr(tesseract, "ocr", counted)
    (task,) = plan_pages(str(path), "pdf", 1, template)
    result = assemble("form", template, [worker.read_page(task)], TODAY)

    score = score_fields(expected, result)
    assert score.total == 9 and score.exact == 9, result.fields  # everything read, blanks too
    typed = [f for f in template.fields if f.kind != "checkbox" and f.name not in LEFT_BLANK]
    kana = [f for f in typed if f.kind == "katakana"]
    assert kana  # the form has a katakana line, read a second time below
    # One each, the lone digit of 通数 twice (it is checked at another size), each katakana
    # line twice (read again with its glyphs set apart); none for a blank. The birth date's
    # three numbers of two digits once more each, by the digit model where the ink places them
    # (the engine's boxes do not say where to cut them).
    assert len(readings) == len(typed) + 1 + len(kana) + 3, readings


def test_a_lone_digit_read_two_ways_that_disagree_is_not_trusted() -> None:
    """A real crop: a Mincho 3 on a faded scan that the engine read as "8" with confidence 91
    at the usual size (scaled by Lanczos; bicubic scaling now reads it "3"), and as "3" at the
    checking size. A first reading the check does not repeat is not trusted; one it repeats
    keeps its confidence."""
    glyph = np.asarray(Image.open(DATA / "mincho-3-read-as-8.png"))
    latin = tesseract.latin_api()
    assert fields._glyph_checked(glyph, "8", 91.0, latin) == 0.0  # sent to a person
    assert fields._glyph_checked(glyph, "3", 91.0, latin) == 91.0
    margin = 20
    crop = imaging.pad(glyph, margin)
    height, width = glyph.shape
    measured = ink.Ink(2.0, 0.05, (margin, margin, width, height))  # the ink box, as cut
    box = FieldBox("members", "integer", (45.0, 120.0, 14.0, 12.0))
    text, confidence = fields._read_glyph(crop, measured, box)
    assert text == "3" or confidence == 0.0, (text, confidence)  # never a trusted 8


def test_a_lone_kanji_read_two_ways_that_disagree_is_not_trusted() -> None:
    """A real crop: Noto Serif's 妻 in a one-character box, read "お" with confidence 88 at the
    usual size and differently at the checking size: the check holds for any kind, not only
    for digits."""
    glyph = np.asarray(Image.open(DATA / "noto-serif-tsuma-read-as-o.png"))
    margin = 20
    crop = imaging.pad(glyph, margin)
    height, width = glyph.shape
    measured = ink.Ink(2.0, 0.05, (margin, margin, width, height))
    box = FieldBox("relation", "text", (20.0, 63.0, 30.0, 11.0))
    text, confidence = fields._read_glyph(crop, measured, box)
    assert confidence == 0.0, (text, confidence)


@pytest.mark.parametrize(
    ("columns", "runs"),
    [
        ([], 0),
        ([(10, 24)], 1),  # one digit: 14 px wide, 24 tall
        ([(10, 24), (40, 54), (70, 76)], 3),  # two digits and a hyphen
        ([(10, 24), (40, 54), (200, 202)], 2),  # and a speck: not a character
        ([(0, 14), (206, 220)], 2),  # touching both edges
        ([(10, 24), (30, 44), (60, 84)], 2),  # and 円: as wide as the line is tall
        ([(10, 24), (30, 58)], 1),  # touching digits: fewer runs, which never flags
    ],
)
def test_glyph_runs_count_characters_not_specks(columns: list[tuple[int, int]], runs: int) -> None:
    crop = np.full((40, 220), 255, dtype=np.uint8)
    for left, right in columns:
        rows = slice(18, 21) if right - left <= 6 else slice(8, 32)  # hyphen and speck: thin
        crop[rows, left:right] = 0
    assert digit_runs.glyph_runs(crop, 128) == runs


def _runs(*spans: tuple[int, int]) -> list[digit_runs.InkRun]:
    """Runs of ink, those 20 px or wider full-width (a kanji, at a 26 px em)."""
    return [digit_runs.InkRun(left, right, right - left >= 20) for left, right in spans]


# 令(26-51) 和(53-78) 7(81-91) 年(95-120) 1(123-131) 0(136-148) 月(150-173) 2 7 日(208-228).
DATE_INK = _runs(
    (26, 51),
    (53, 78),
    (81, 91),
    (95, 120),
    (123, 131),
    (136, 148),
    (150, 173),
    (178, 189),
    (192, 202),
    (208, 228),
)

BROKEN_MONTH = _runs((150, 160), (162, 173))  # 月 in two narrow runs
NARROW_DAY = digit_runs.InkRun(208, 223, False)  # 日 narrower than an em, wider than a digit


@pytest.mark.parametrize(
    ("read", "ink_runs", "marks"),
    [
        ("令和7年1月27日", DATE_INK, [1, 2, 2]),  # 10月 read as 1月: two marks for one digit
        ("令和7年10月27日", DATE_INK, [1, 2, 2]),
        ("令和7年1月2日", [*DATE_INK[:-1], NARROW_DAY], [1, 2, 2]),  # 27日 read as 2日
        ("令和7年1月27日", [*DATE_INK[:-1], NARROW_DAY], [1, 2, 2]),
        ("令和7年1月2日", [*DATE_INK[:-1], digit_runs.InkRun(208, 218, False)], [1, 2, 0]),
        ("令和7年1月27日", [DATE_INK[0], *_runs((53, 64), (67, 78)), *DATE_INK[2:]], [0, 0, 0]),
        ("令和7年1月27日", [*DATE_INK[:6], *BROKEN_MONTH, *DATE_INK[7:]], [0, 0, 0]),
        ("12丁目", _runs((10, 22), (25, 37), (40, 66), (70, 96)), [2]),  # from the line's start
        ("7", _runs((10, 22)), [0]),  # no whole character after it
    ],
)
def test_marks_between_the_whole_characters_around_a_number(
    read: str, ink_runs: list[digit_runs.InkRun], marks: list[int]
) -> None:
    """In the third and fourth lines 日 is narrower than an em: wider than the digits before
    it, it closes the day all the same; in the fifth it is no wider than the 2 (a digit, or a
    piece of a character) and closes nothing. In the sixth 和 is two narrow runs and in the
    seventh 月 is: the characters cannot be placed, nothing counts."""
    assert digit_runs.marks_between_kanji(read, ink_runs) == marks


# 1(10-16) 9(20-30) 8(33-43) 5(46-56) 年(60-85) 1(88-94) 1(98-104) 月(108-133) 6 日(150-165).
WESTERN_INK = _runs(
    (10, 16),
    (20, 30),
    (33, 43),
    (46, 56),
    (60, 85),
    (88, 94),
    (98, 104),
    (108, 133),
    (136, 146),
    (150, 165),
)
BROKEN_ERA_LAST = [DATE_INK[0], *_runs((53, 64), (67, 78)), *DATE_INK[2:]]  # 和 in two
BROKEN_ERA_FIRST = [*_runs((26, 37), (40, 51)), *DATE_INK[1:]]  # 昭 as 日 and 召


@pytest.mark.parametrize(
    ("read", "ink_runs", "marks"),
    [
        ("令和7年1月27日", BROKEN_ERA_LAST, [0, 2, 2]),  # 10月 read 1月; the year not placed
        ("令和7年10月2日", BROKEN_ERA_LAST, [0, 2, 2]),
        ("令和7年10月27日", BROKEN_ERA_FIRST, [1, 2, 2]),  # 和 whole: the year placed too
        ("令和年10月27日", BROKEN_ERA_FIRST, []),  # not read as a date
        ("令和7年10月27日", [*DATE_INK[:6], *BROKEN_MONTH, *DATE_INK[7:]], []),
        ("令和7年10月27日", [*BROKEN_ERA_LAST, *_runs((240, 250))], []),  # ink after 日
        ("1985年11月6日", WESTERN_INK, [4, 2, 1]),  # 日 narrower than an em closes the day
        ("1985年11月6日", [*WESTERN_INK[:-1], digit_runs.InkRun(150, 156, False)], []),
        ("12丁目", _runs((10, 22), (25, 37), (40, 66), (70, 96)), []),
    ],
)
def test_marks_of_a_date_placed_from_the_line_end(
    read: str, ink_runs: list[digit_runs.InkRun], marks: list[int]
) -> None:
    """Where a character of the era's name breaks in two, 年, 月 and 日 are still the line's
    last whole characters: the month and the day are counted, the year only where the era's
    last character is whole. A broken 月 puts its pieces among the day's digits (more marks
    than a day has), ink after 日 leaves the day unclosed, and a 日 no wider than a digit
    closes nothing: nothing is placed."""
    assert [len(number) for number in digit_runs.marks_in_date(read, ink_runs)] == marks


@pytest.mark.parametrize(
    ("ink_runs", "first", "last", "between"),
    [
        (DATE_INK, 2, 2, True),  # the era's year, between 和 and 年
        (DATE_INK, 7, 8, True),  # the day, between 月 and 日
        ([*DATE_INK[:-1], NARROW_DAY], 7, 8, True),  # 日 narrower than an em
        (WESTERN_INK, 0, 3, True),  # from the line's start
        (DATE_INK, 4, 4, False),  # the 1 of 10, cut without its 0
        (BROKEN_ERA_LAST, 2, 3, False),  # 和's last stroke cut with the year's first digit
    ],
)
def test_a_date_number_is_cut_between_whole_characters(
    ink_runs: list[digit_runs.InkRun], first: int, last: int, between: bool
) -> None:
    """The engine's box for a year's first digit strayed onto 和's last stroke, a run of its
    own: cut from there, the year was read as "12" for 26. A number's cut has a whole
    character (or the line's end) on either side, or it is not read again."""
    assert digit_runs.between_characters(ink_runs[first], ink_runs[last], ink_runs) is between


# VL Gothic's 昭和50年4月13日 at 4.2 mm, read 昭和59年: 和 in two runs (55-69, 70-83).
SHOWA_INK = [
    digit_runs.InkRun(27, 53, True),
    *_runs((55, 69), (70, 83), (87, 97), (101, 113)),
    digit_runs.InkRun(116, 143, True),
    *_runs((145, 158)),
    digit_runs.InkRun(161, 185, True),
    *_runs((192, 200), (207, 217), (224, 245)),
]
# And 昭和50年6月15日 at 4.5 mm, read 昭和5年: 昭 in two runs as well.
SHOWA_BOTH_BROKEN = [
    *_runs((27, 37), (38, 55), (58, 73), (74, 87), (92, 103), (107, 120)),
    digit_runs.InkRun(124, 153, True),
    *_runs((157, 169)),
    digit_runs.InkRun(172, 198, True),
    *_runs((205, 214), (222, 233)),
    digit_runs.InkRun(240, 263, True),
]


@pytest.mark.parametrize(
    ("read", "ink_runs", "counted", "marks"),
    [
        ("昭和59年4月13日", SHOWA_INK, [0, 1, 2], [2, None, 2]),  # a lone mark: not read again
        ("昭和5年6月15日", SHOWA_BOTH_BROKEN, [0, 1, 2], [2, None, 2]),  # a digit lost, too
        ("昭和59年4月13日", SHOWA_INK, [2, 1, 2], [2, None, 2]),  # counted the same
        ("昭和59年4月13日", SHOWA_INK, [1, 1, 2], [None, None, 2]),  # counted otherwise
        # The year's two digits touching: one em-wide run, no way to lay the line.
        (
            "昭和59年4月13日",
            [*SHOWA_INK[:3], digit_runs.InkRun(87, 113, True), *SHOWA_INK[5:]],
            [0, 1, 2],
            [None, None, None],
        ),
    ],
)
def test_the_numbers_of_a_date_whose_era_breaks_placed_on_its_ink(
    read: str, ink_runs: list[digit_runs.InkRun], counted: list[int], marks: list[int | None]
) -> None:
    """Where 和 (and 昭) break into two runs, neither the whole characters nor the line's end
    count the year's marks (0): laid on the ink, its two marks are placed, to be read again
    there. A count between whole characters that says otherwise keeps the number unplaced."""
    placed = digit_runs.date_numbers_placed(read, ink_runs, counted)
    assert [None if on_ink is None else len(on_ink) for on_ink in placed] == marks


def _boxed(read: str, lefts: list[int]) -> tuple[digit_runs.Boxed, ...]:
    return tuple((char, (left, 0, left + 10, 30)) for char, left in zip(read, lefts, strict=True))


# 番(356-382) 地(384-409) 3(412-423) 0(426-437): 番地30 read as 番地3.
ADDRESS_END = _runs((356, 382), (384, 409), (412, 423), (426, 437))


@pytest.mark.parametrize(
    ("boxed", "ink_runs", "marks"),
    [
        (_boxed("番地3", [364, 392, 413]), ADDRESS_END, 2),  # one digit read, two printed
        (_boxed("番地30", [364, 392, 413, 426]), ADDRESS_END, 2),
        (_boxed("番地3", [364, 413, 426]), ADDRESS_END, 0),  # 地's box on the 3: not placed
        (_boxed("3", [413]), ADDRESS_END, 0),  # nothing read before the number
        (_boxed("番地30", [364, 392, 413, 426]), [*ADDRESS_END, *_runs((873, 880))], 2),  # apart
        (
            _boxed("番地3", [364, 392, 413]),
            [*ADDRESS_END[:1], *_runs((384, 392), (395, 409)), *ADDRESS_END[2:]],
            0,  # 地 in two narrow runs (土, 也): not placed
        ),
    ],
)
def test_marks_after_the_whole_character_before_a_number_that_ends_the_line(
    boxed: tuple[digit_runs.Boxed, ...], ink_runs: list[digit_runs.InkRun], marks: int
) -> None:
    digits = sum(char.isdigit() for char, _ in boxed)
    assert digit_runs.marks_after_last_kanji(boxed, digits, ink_runs) == marks


# 番(0-26) 町(28-54) 1 0 9 7 番(142-168) 地(170-196) 4: at a 26 px em.
NUMBER_INK = _runs(
    (0, 26), (28, 54), (57, 65), (69, 81), (84, 96), (99, 111), (142, 168), (170, 196), (199, 211)
)
SHORT_TWO = digit_runs.InkRun(0, 26, False)  # 二: an em wide, not as tall as the line
TOWN_IN_TWO = _runs((28, 42), (44, 54))  # 町 as 田 and 丁: two narrow runs, an em together
WIDE_FIELD = _runs((28, 48), (50, 54))  # 町's 田 wide enough to be a character on its own


@pytest.mark.parametrize(
    ("read", "ink_runs", "marks"),
    [
        ("番町1097番地4", NUMBER_INK, [4, 1]),
        ("番町197番地4", NUMBER_INK, [4, 1]),  # a digit lost: four marks all the same
        ("二町197番地4", [SHORT_TWO, *NUMBER_INK[1:]], [4, 1]),  # 二: wide, short
        ("番町197番地4", [NUMBER_INK[0], *TOWN_IN_TWO, *NUMBER_INK[2:]], [4, 1]),
        # 田 could be a character and 丁 a digit, or 町 the two: the ink cannot say.
        ("番町1097番地4", [NUMBER_INK[0], *WIDE_FIELD, *NUMBER_INK[2:]], [None, 1]),
        ("番町1097番地4", [*NUMBER_INK, *_runs((400, 403))], [4, 1]),  # an em apart: no digit
        ("番町1097番地4", [*NUMBER_INK, *_runs((215, 218))], [4, 2]),  # a mark beside the 4
        ("番町1097番地4", [*NUMBER_INK[:3], *_runs((69, 96)), *NUMBER_INK[5:]], [None, None]),
        ("1097", _runs((57, 65), (69, 81), (84, 96), (99, 111)), [None]),  # nothing full-width
        ("番目1097番地4", [NUMBER_INK[0], *_runs((40, 54)), *NUMBER_INK[2:]], [None, 1]),
    ],
)
def test_the_numbers_of_a_text_line_placed_on_its_ink(
    read: str, ink_runs: list[digit_runs.InkRun], marks: list[int | None]
) -> None:
    """The line's characters laid on its ink in order: a whole character one run or a few,
    together about an em wide, a digit one narrower run. VL Gothic's 二 (an em wide, short)
    and 那 (two narrow runs) placed no number when only full-width runs counted. A number is
    placed only where every way of laying the line puts it on the same runs: 町 in two runs
    is one character unless its 田 could be one alone; two digits touching (an em-wide run
    where a digit should be) place nothing. A narrow 目 can only be laid with the 1 after it,
    leaving fewer marks than digits read: not placed."""
    placed = digit_runs.numbers_on_ink(read, ink_runs)
    assert [None if on_ink is None else len(on_ink) for on_ink in placed] == marks


# 川(0-26) 口(28-54) 4(58-68) 番(72-98) 地(100-126), at a 26 px em.
LOST_NUMBER_INK = _runs((0, 26), (28, 54), (58, 68), (72, 98), (100, 126))
# 那(0-26) 覇(28-54) 市(56-82).
LOST_KANJI_INK = _runs((0, 26), (28, 54), (56, 82))
# 南(0-26) 40(30-58, touching: full width) 8(61-70) 番(74-100), as development form 119.
TOUCHING_DIGITS_INK = [
    digit_runs.InkRun(0, 26, True),
    digit_runs.InkRun(30, 58, True),
    digit_runs.InkRun(61, 70, False),
    digit_runs.InkRun(74, 100, True),
]


@pytest.mark.parametrize(
    ("read", "ink_runs", "lost"),
    [
        ("川口番地", LOST_NUMBER_INK, (2,)),  # 4 lost whole: its mark between 口 and 番
        ("川口4番地", LOST_NUMBER_INK, ()),
        ("川 口 番 地", LOST_NUMBER_INK, (2,)),  # spaces are no letters
        ("那市", LOST_KANJI_INK, ()),  # a kanji lost: no number lays it
        ("南408番", TOUCHING_DIGITS_INK, ()),  # 40 touching, one full-width run: not laid
        ("南番", TOUCHING_DIGITS_INK, ()),  # touching digits are no number put in
        ("番町197番地4", NUMBER_INK, ()),  # a digit lost inside a number: not this rule's
        ("番町1097番地4", NUMBER_INK, ()),
        ("川口番", LOST_NUMBER_INK, ()),  # the line holds more than one character more
        ("口4番", LOST_NUMBER_INK, ()),  # a character lost at the line's start: no place
    ],
)
def test_characters_a_text_line_lost_whole(
    read: str, ink_runs: list[digit_runs.InkRun], lost: tuple[int, ...]
) -> None:
    """Where the line as read cannot be laid on its ink and with a number put between two
    whole characters it can, the ink holds a number the line read none for: the places
    (letters read before it) are given."""
    assert digit_runs.characters_lost(read, ink_runs) == lost


# The page's ink threshold where these lines were cut (`ink.page_ink_threshold`).
DIGITS_THRESHOLD = 188


@pytest.mark.parametrize(
    ("image", "read", "date", "doubtful"),
    [
        ("vlgothic-20-read-as-26.png", "令和8年3月26日", True, True),
        ("vlgothic-address-read-right.png", "秋田県秋田市山王1997番地11", False, False),
    ],
)
def test_digits_the_japanese_model_misread_are_read_again(
    image: str, read: str, date: bool, doubtful: bool
) -> None:
    """Real lines: VL Gothic's 0 in 20 read as 6 by jpn with confidence 91 and no other choice
    that gives it away; eng reads the same place, cut on its own, as 20. A line read right
    stays trusted."""
    patch = Image.open(DATA / image)
    text, _ = fields.read_line(patch, FieldBox("filed", "date", (20.0, 132.0, 75.0, 11.0)))
    assert text == read  # the model's reading these crops were kept for
    pairs = digit_runs.digit_runs_again(patch, DIGITS_THRESHOLD, fields.FIELD_SCALE, date=date)
    assert digits_disagree(pairs) is doubtful, pairs


@pytest.mark.parametrize(
    ("image", "threshold", "read", "dropped", "shown"),
    [
        ("vlgothic-10-read-as-1.png", 192, "令和7年1月27日", True, "令和7年10月27日"),
        ("noto-serif-11-read-as-1.png", 198, "令和7年1月4日", True, "令和7年11月4日"),
        ("noto-sans-date-read-right.png", 188, "令和7年2月21日", False, "令和7年2月21日"),
        ("noto-sans-27-read-as-2.png", 184, "令和8年10月2日", True, "令和8年10月27日"),
    ],
)
def test_a_digit_the_japanese_model_left_out_is_seen_on_the_ink(
    image: str, threshold: int, read: str, dropped: bool, shown: str
) -> None:
    """Real lines: 10月 and 11月 read as 1月 at 92-99, with no other choice and nothing
    for the English model to disagree with. The ink between 年 and 月 holds two marks; a date
    read right holds as many as it read. Noto Sans's 27日 read as 2日 at 87: its 日 is
    narrower than an em, and the two marks before it count. The English model, reading the
    marks cut together, finds the digit lost: staff are shown it (still flagged)."""
    patch = Image.open(DATA / image)
    text, _ = fields.read_line(patch, FieldBox("filed", "date", (20.0, 132.0, 75.0, 11.0)))
    assert text == read  # the model's reading these crops were kept for
    runs = digit_runs.digit_runs_again(patch, threshold, fields.FIELD_SCALE, date=True)
    assert [run.read for run in runs] == re.findall(r"[0-9]+", read)
    assert digit_dropped(runs) is dropped, runs
    assert digits_read_again(read, runs, SURE_DIGITS) == shown, runs


VL_GOTHIC = Path("/usr/share/fonts/truetype/vlgothic/VL-Gothic-Regular.ttf")


@pytest.mark.parametrize(
    ("printed", "size_mm", "read"),
    [
        ("富山県富山市新桜町385番地27", 4.3, "富山県富山市新桜町85番地27"),
        ("秋田県秋田市山王3丁目14番30号", 4.3, "秋田県秋田市山王3丁目14番3号"),
    ],
)
def test_a_digit_lost_inside_an_address_is_seen_on_the_ink(
    printed: str, size_mm: float, read: str
) -> None:
    """VL Gothic's 385番地 and 番30号 read 85番地 and 番3号 at 86-87, with no other choice and
    nothing for the English model to disagree with: the ink between the characters around the
    number holds a mark more than the digits read there."""
    reading = read_one_box(printed, VL_GOTHIC, size_mm)
    assert reading.raw == read  # the model's reading this probe was kept for
    spec = FormField(name="address", label="住所", kind="text", box_mm=(65.0, 86.0, 130.0, 11.0))
    value = field_value(spec, reading, True, date(2026, 11, 1))
    assert (value.needs_review, value.review_reason) == (True, "implausible"), reading


@pytest.mark.parametrize(
    ("printed", "size_mm", "read", "reason"),
    [
        ("富山県滑川市仲町20番地1", 3.9, "富山県滑川市仲町2番地1", "implausible"),
        ("富山県黒部市旭町22番地19", 4.2, "富山県黒部市旭町2番地19", "implausible"),
        ("奈良県奈良市二条大路南1310番地14", 3.6, "奈良県奈良市二条大路南1316番地14", "confusable"),
    ],
)
def test_a_number_inside_an_address_is_read_again_where_the_ink_places_it(
    printed: str, size_mm: float, read: str, reason: str
) -> None:
    """VL Gothic's 20 and 22 read 2, and 1310 read 1316, trusted: 川 (three runs of ink), 部
    (two) and 二 (short) are not one full-width run each, so no number of their lines was
    counted, and the engine's boxes did not say where to cut 1316 to read it again. Laid on the
    ink in order, the numbers' marks are found: the digit lost is counted, the English model
    reads the marks cut together, and staff are shown what it read (flagged)."""
    reading = read_one_box(printed, VL_GOTHIC, size_mm)
    assert reading.raw == read  # the model's reading this probe was kept for
    spec = FormField(name="address", label="住所", kind="text", box_mm=(65.0, 86.0, 130.0, 11.0))
    value = field_value(spec, reading, True, date(2026, 11, 1))
    assert (value.value, value.needs_review, value.review_reason) == (printed, True, reason)


@pytest.mark.parametrize(
    ("printed", "face", "size_mm", "read"),
    [
        ("埼玉県川口市川口3番地5", FACES[1][0], 4.1, "埼玉県川口市川口番地5"),
        ("埼玉県川口市川口1丁目3番2号", VL_GOTHIC, 4.3, "埼玉県川口市川口1丁目3番号"),
    ],
)
def test_a_number_lost_whole_inside_an_address_is_seen_on_the_ink(
    printed: str, face: Path, size_mm: float, read: str
) -> None:
    """Noto Sans CJK's 川口3番地 read 川口番地 at 86 and VL Gothic's 番2号 read 番号 at 88,
    trusted: no number was read to count marks for or to read again. The line as read does
    not lay on its ink; with a number put between 口 and 番 (番 and 号) it does."""
    reading = read_one_box(printed, face, size_mm)
    assert reading.raw == read  # the model's reading this probe was kept for
    spec = FormField(name="address", label="住所", kind="text", box_mm=(65.0, 86.0, 130.0, 11.0))
    value = field_value(spec, reading, True, date(2026, 11, 1))
    assert (value.needs_review, value.review_reason) == (True, "implausible"), reading


SAWARABI_MINCHO = FACES[3][0]
BORN = FormField(name="born", label="生年月日", kind="date", box_mm=(60.0, 63.0, 75.0, 11.0))


@pytest.mark.parametrize(
    ("printed", "face", "size_mm", "read", "shown", "reason"),
    [
        ("昭和26年8月5日", SAWARABI_MINCHO, 3.8, "昭和26年8月5日", "1951-08-05", None),
        ("昭和20年6月16日", VL_GOTHIC, 4.8, "昭和2年6月16日", "1945-06-16", "implausible"),
        ("昭和50年4月13日", VL_GOTHIC, 4.21, "昭和59年4月13日", "1975-04-13", "confusable"),
        ("昭和50年6月15日", VL_GOTHIC, 4.53, "昭和5年6月15日", "1975-06-15", "implausible"),
        ("昭和10年7月26日", VL_GOTHIC, 4.49, "昭和16年7月26日", "1935-07-26", "confusable"),
        ("昭和20年9月1日", VL_GOTHIC, 4.44, "昭和720年9月1日", "1945-09-01", "implausible"),
    ],
    ids=[
        "year-cut-with-a-stroke-of-its-era",
        "era-broken-in-two",
        "year-misread-placed-on-the-ink",
        "year-digit-lost-placed-on-the-ink",
        "year-boxes-off-its-ink",
        "stroke-of-its-era-read-as-a-digit",
    ],
)
def test_a_date_whose_era_breaks_in_two(
    printed: str, face: Path, size_mm: float, read: str, shown: str, reason: str | None
) -> None:
    """Sawarabi Mincho's 和 (3.8 mm) is two runs of ink, and the box the engine gave the
    year's 2 began on the second: cut from there, the English model read "12" for 26 and the
    date, read right, was shown as 1937 (flagged). VL Gothic's 昭 (4.8 mm) is two runs too,
    so no mark was counted, and 昭和20年 read 昭和2年 was trusted at 96: placed from the
    line's end, the ink before 年 holds two marks, and read where they are (the engine's box
    for the 2 began on 和), they are 20. Where VL Gothic's 和 is two runs (4.2-4.5 mm) and the
    year's marks are neither counted nor cut by the engine's boxes, 昭和50年 read 昭和59年 or
    昭和5年 and 昭和10年 read 昭和16年 were trusted: laid on the ink with the other
    characters, the year's two marks are read again, and are 50 and 10. 和's last stroke
    read as a 7 (昭和720年) left the date unparsed and shown as nothing: the two marks counted
    before 年, read again, are 20."""
    reading = read_one_box(printed, face, size_mm, kind="date")
    assert reading.raw == read  # the model's reading this probe was kept for
    value = field_value(BORN, reading, True, date(2026, 11, 1))
    assert (value.value, value.review_reason) == (shown, reason), reading


@pytest.mark.parametrize(
    ("printed", "size_mm", "read", "shown"),
    [
        ("令和3年1月22日", 3.4, "令和53年1月22日", "2021-01-22"),
        ("令和2年4月8日", 4.7, "令和72年4月8日", "2020-04-08"),
    ],
)
def test_a_year_read_with_a_digit_more_than_its_lone_mark(
    printed: str, size_mm: float, read: str, shown: str
) -> None:
    """VL Gothic's 令和3年 read 令和53年 and 令和2年 read 令和72年, a stroke of 和 read as a
    digit: the one mark counted before 年 was not read again (a lone digit is not), and the
    dates were shown as 2071 and 2090, flagged. Read again where more digits were read on
    it, the mark is 3 and 2: shown so, still flagged."""
    reading = read_one_box(printed, VL_GOTHIC, size_mm, kind="date")
    assert reading.raw == read  # the model's reading this probe was kept for
    value = field_value(BORN, reading, True, date(2026, 11, 1))
    assert (value.value, value.needs_review, value.review_reason) == (shown, True, "implausible")


# VL Gothic's 令和7年7月3日 read 令和7年7月日 (development form 1726): 月 at 150-176, the 3
# at 183-194, 日 at 200-223 (narrower than an em).
LOST_DAY_INK = [
    *[digit_runs.InkRun(a, b, True) for a, b in ((25, 54), (56, 85))],
    *_runs((89, 100)),
    digit_runs.InkRun(104, 133, True),
    *_runs((136, 147)),
    digit_runs.InkRun(150, 176, True),
    *_runs((183, 194), (200, 223)),
]


@pytest.mark.parametrize(
    ("read", "ink_runs", "marks"),
    [
        ("令和7年7月日", LOST_DAY_INK, [(183, 194)]),
        ("令和7年7月3日", LOST_DAY_INK, []),  # the day read: nothing to place
        ("令和7年7月 日", LOST_DAY_INK, [(183, 194)]),  # a space read where it stands
        ("令和7年7月日", [*LOST_DAY_INK[:6], LOST_DAY_INK[7]], []),  # no mark between the two
        ("令和7年月日", LOST_DAY_INK, []),  # the month lost too: not read as a date
    ],
)
def test_the_marks_of_a_day_the_line_lost_whole(
    read: str, ink_runs: list[digit_runs.InkRun], marks: list[tuple[int, int]]
) -> None:
    placed = digit_runs.lost_day_marks(read, ink_runs)
    assert [(run.start, run.end) for run in placed] == marks


@pytest.mark.skipif(not VL_GOTHIC.is_file(), reason="VL Gothic is not installed")
def test_a_date_whose_day_was_lost_whole_is_shown_as_its_ink_reads(tmp_path: Path) -> None:
    """Development form 1726: 令和7年7月3日 came back 令和7年7月日 at 90, the 3 neither read
    nor boxed, and staff were shown nothing. The day's mark, placed on the ink between 月 and
    日 and read by the digit model, is shown, flagged."""
    made, result = read_dev_form(1726, tmp_path)
    filed = result.fields["filed"]
    assert (filed.value, filed.needs_review, filed.review_reason) == (
        made.expected["filed"],
        True,
        "implausible",
    )


def test_a_line_of_words_read_unsure_is_read_again_cut_tight() -> None:
    """IPAexMincho's 菊地 桂 in a name box (3.8 mm type): at the field scale the engine gives
    "多地 杜" with confidence 14; cut tight around its ink, 菊地 桂 at 69. The more confident
    reading is kept (and, under 80, still goes to a person)."""
    reading = read_one_box("菊地 桂", MINCHO, 3.8)
    assert reading.raw == "菊地 桂", reading
    assert [char for char, _ in reading.symbols] == list("菊地桂")  # its own characters
