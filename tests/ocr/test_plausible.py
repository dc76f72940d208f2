"""Doubts about readings that parsed (`handlers.ocr.plausible`), as tables."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from handlers.ocr.plausible import (
    SURE_DIGITS,
    bars_dropped,
    characters_dropped,
    close_second_choice,
    day_mark_misread,
    digit_inside_word,
    digits_disagree,
    digits_read_again,
    digits_settled,
    kana_count_differs,
    kana_read_otherwise,
    kanji_read_as_katakana,
    katakana_among_hiragana,
    letter_outscored_digit,
    lone_latin_letter,
    long_vowel_first,
    long_vowel_misplaced,
    lost_day_restored,
    no_letters,
    other_mark_seen,
    small_kana_first,
    small_kana_first_enlarged,
    space_inside_number,
    split_name,
    stray_marks,
    stray_punctuation,
    unsure_letter,
)
from handlers.ocr.reading import field_value
from infra.ocr.confusables import confusable
from infra.ocr.digit_runs import DigitRun
from infra.ocr.readings import FieldReading
from schemas.forms import FormField, FormFieldKind


@pytest.mark.parametrize(
    ("symbols", "doubtful"),
    [
        ((), False),
        ((("山", 99.0), ("田", 98.0), ("太", 99.0), ("郎", 99.0)), False),  # sure of 郎
        ((("太", 99.0), ("郎", 90.0)), True),  # 郎 with a thin margin
        ((("太", 99.0), ("朗", 99.0)), True),  # the rare variant: how 郎 is misread
        ((("髙", 100.0), ("橋", 99.0)), True),
        ((("高", 97.0), ("橋", 99.0)), False),
        ((("パ", 92.0), ("ン", 99.0)), True),  # バ read as パ, 92 % sure
        ((("バ", 99.0), ("ン", 99.0)), False),
        ((("𠮷", 99.0), ("田", 99.0)), True),
        ((("冨", 97.0), ("山", 99.0)), True),  # how Noto Serif's 富 was read, 97 % sure
        ((("富", 97.0), ("山", 99.0)), False),
        ((("山", 99.0), ("本", 99.0), ("夢", 97.5)), True),  # how 蓮 is read in many faces
        ((("美", 99.0), ("策", 98.4)), True),  # how 穂 is read in many faces
        ((("男", 99.5), ("気", 99.5)), True),  # how a Mincho 勇 is read, the engine sure
        ((("勇", 90.0), ("気", 99.0)), True),
        ((("勇", 99.0), ("気", 99.0)), False),
        ((("斎", 80.0), ("藤", 99.0)), True),
        ((("鈴", 80.0), ("木", 60.0)), False),  # unsure, but of no confusable: not this check
    ],
)
def test_confusable(symbols: tuple[tuple[str, float], ...], doubtful: bool) -> None:
    assert confusable(symbols) is doubtful


@pytest.mark.parametrize(
    ("raw", "runs", "dropped"),
    [
        ("06-1234-5678", 12, False),
        ("06-124-5678", 12, True),  # a digit skipped
        ("06-1234-5678", 9, False),  # touching digits: fewer runs, never a doubt
        ("3", 1, False),
        ("", 1, True),
        ("1,200", 5, False),
        ("１２", 2, False),  # full-width digits count
    ],
)
def test_characters_dropped(raw: str, runs: int, dropped: bool) -> None:
    assert characters_dropped(raw, runs) is dropped


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("、", True),
        ("- |", True),
        ("・・", True),
        ("6", True),  # a lone 茂 read as a digit
        ("101", True),
        ("山田", False),
        ("3丁目", False),
        ("ｺｰﾎﾟ 2", False),
    ],
)
def test_no_letters(text: str, expected: bool) -> None:
    assert no_letters(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("宮城県仙台市青葉区国分町3丁目38番8号", False),
        ("東京都千代田区丸の内1-2-3", False),
        ("山田 太郎", False),
        ("メゾン・ド・パリ (2F)", False),
        ("国分町3」目38番8号", True),  # 丁 misread as a bracket
        ("山田※", True),
    ],
)
def test_stray_punctuation(text: str, expected: bool) -> None:
    assert stray_punctuation(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("愛知県名古屋市中村区名駅8-23-8", False),
        ("愛知県名古屋市中村区名駅8-23-8 ーー", True),  # the box's border read as dashes
        ("山田 太郎", False),
        ("- 山田", True),
        ("サトウ ケンタ", False),
        ("コーポ 201", False),
        ("", False),
    ],
)
def test_stray_marks(text: str, expected: bool) -> None:
    assert stray_marks(text) is expected


@pytest.mark.parametrize(
    ("symbols", "others", "doubtful"),
    [
        ((), (), False),
        ((("2", 99.0), ("6", 95.0)), ((("7", 4.0),), (("0", 79.0),)), True),  # 0 read as 6
        ((("2", 99.0), ("6", 95.0)), ((("7", 4.0),), (("0", 69.0),)), False),  # a distant 0
        ((("6", 88.0),), ((("昌", 90.0), ("9", 85.0)),), True),  # the digit, after a kanji
        ((("6", 88.0),), ((("昌", 90.0),),), False),  # a choice of another kind says nothing
        ((("山", 100.0), ("田", 99.0)), ((("上", 98.0),), ()), False),  # kanji: not this check
        ((("ベ", 97.0), ("ン", 99.0)), ((("べ", 85.0),), ()), True),  # kana beside kana
        ((("ベ", 97.0),), ((("ベ", 85.0),),), False),  # the same character again
        ((("6", 95.0), ("0", 99.0)), (), False),  # no other choices read: nothing to say
    ],
)
def test_close_second_choice(
    symbols: tuple[tuple[str, float], ...],
    others: tuple[tuple[tuple[str, float], ...], ...],
    doubtful: bool,
) -> None:
    assert close_second_choice(symbols, others) is doubtful


# 令和8年3月8日 as Hanazono Mincho's 令和8年5月8日 came back: 3 at 94, 有 at 95 among its choices.
HANAZONO_MONTH = tuple((char, 94.0 if char == "3" else 99.0) for char in "令和8年3月8日")


def _choices_at(
    place: int, choices: tuple[tuple[str, float], ...]
) -> tuple[tuple[tuple[str, float], ...], ...]:
    return tuple(choices if at == place else () for at in range(len(HANAZONO_MONTH)))


@pytest.mark.parametrize(
    ("choices", "settled", "doubtful"),
    [
        ((("有", 95.0), ("$", 13.0), ("5", 2.0)), (), True),
        ((("有", 94.0),), (), True),  # as high as the digit
        ((("有", 93.0),), (), False),  # lower: the engine chose the digit over it
        ((("$", 99.0),), (), False),  # a mark, not a letter
        ((("有", 95.0),), (4,), False),  # the digit model read the same digit there
        ((("5", 95.0),), (), False),  # a digit: close_second_choice's to judge
        ((("ab", 95.0),), (), False),  # not one character
        ((("月", 97.0),), (), False),  # the character read beside it: a neighbouring step's
    ],
)
def test_letter_outscored_digit(
    choices: tuple[tuple[str, float], ...], settled: tuple[int, ...], doubtful: bool
) -> None:
    others = _choices_at(4, choices)
    assert letter_outscored_digit(HANAZONO_MONTH, others, settled) is doubtful


def test_a_date_digit_a_letter_outscored_is_flagged() -> None:
    spec = FormField(name="filed", label="請求日", kind="date", box_mm=(20, 132, 75, 11))
    raw = "令和8年3月8日"
    reading = FieldReading(
        "filed",
        raw,
        90.0,
        0.1,
        symbols=HANAZONO_MONTH,
        other_choices=_choices_at(4, (("有", 95.0), ("$", 13.0), ("5", 2.0))),
    )
    got = field_value(spec, reading, True, date(2026, 11, 1))
    assert (got.value, got.needs_review, got.review_reason) == ("2026-03-08", True, "confusable")
    # The same letter scored below the digit: the date stands.
    lower = FieldReading(
        "filed",
        raw,
        90.0,
        0.1,
        symbols=HANAZONO_MONTH,
        other_choices=_choices_at(4, (("有", 80.0),)),
    )
    assert field_value(spec, lower, True, date(2026, 11, 1)).needs_review is False


@pytest.mark.parametrize(
    ("text", "split"),
    [
        ("ハセガワ ユウキ", False),
        ("ハセ ガワ ユウキ", True),  # a gap inside the family name read as a space
        ("ヤマダタロウ", False),
        ("モリ", False),
        ("", False),
    ],
)
def test_split_name(text: str, split: bool) -> None:
    assert split_name(text) is split


@pytest.mark.parametrize(
    ("symbols", "doubtful"),
    [
        ((), False),
        ((("那", 96.0), ("覇", 92.0), ("市", 99.0)), False),
        ((("那", 96.0), ("一", 83.5), ("市", 99.0)), True),  # 覇 read as 一, the line at 81
        ((("ア", 99.0), ("ベ", 85.0)), True),
        ((("6", 60.0), ("番", 99.0)), False),  # digits have checks of their own
        ((("-", 50.0), ("町", 99.0)), False),
    ],
)
def test_unsure_letter(symbols: tuple[tuple[str, float], ...], doubtful: bool) -> None:
    assert unsure_letter(symbols) is doubtful


def test_a_place_name_is_put_right_only_where_the_engine_doubted_it_and_never_trusted() -> None:
    spec = FormField(name="address", label="住所", kind="text", box_mm=(20.0, 40.0, 130.0, 11.0))

    def read(text: str, unsure: dict[str, float]) -> FieldReading:
        symbols = tuple((c, unsure.get(c, 97.0)) for c in text)
        return FieldReading("address", text, 96.0, 0.1, symbols=symbols)

    misread = field_value(spec, read("富山県嘉山市新桜町7", {"嘉": 86.0}), True, date(2026, 11, 1))
    assert (misread.value, misread.needs_review, misread.review_reason) == (
        "富山県富山市新桜町7",
        True,
        "confusable",
    )
    # A former ward read surely is what the paper says: shown as read, for staff to look at.
    former = field_value(spec, read("静岡県浜松市中区元城町103", {}), True, date(2026, 11, 1))
    assert (former.value, former.needs_review, former.review_reason) == (
        "静岡県浜松市中区元城町103",
        True,
        "implausible",
    )


def test_a_line_read_confidently_with_one_unsure_letter_goes_to_review() -> None:
    # After the place names (which `handlers.ocr.places` checks against the official list): a
    # misread kanji in the street's name only shows in its own confidence.
    spec = FormField(name="address", label="住所", kind="text", box_mm=(20.0, 40.0, 130.0, 11.0))
    read = (*((char, 98.0) for char in "青森県弘前市下白"), ("銀", 83.5), ("町", 99.0))
    reading = FieldReading("address", "青森県弘前市下白銀町", 91.0, 0.1, symbols=read)
    value = field_value(spec, reading, True, date(2026, 11, 1))
    assert (value.value, value.needs_review, value.review_reason) == (
        "青森県弘前市下白銀町",
        True,
        "low_confidence",
    )
    sure = FieldReading(
        "address", "青森県弘前市下白銀町", 91.0, 0.1, symbols=(*read[:8], ("銀", 92.0), read[9])
    )
    assert not field_value(spec, sure, True, date(2026, 11, 1)).needs_review


@pytest.mark.parametrize(
    ("runs", "doubtful"),
    [
        ((), False),
        ((("26", "20", "20", 0),), True),  # VL Gothic's 0 read as 6 by jpn, as 0 by eng
        ((("1979", "1970", "", 0), ("24", "24", "", 0)), True),
        ((("20", "20", "", 0),), False),
        ((("1852", "1852%", "", 0),), False),  # a piece of the next character beside it
        ((("11", "1", "", 0),), False),  # fewer digits: eng lost one, it does not say another
        ((("11", "Mn", "", 0),), False),  # no digit at all: eng read letters, no opinion
        ((("8", "", "", 0),), False),  # not read again
        ((("15", "25", "15", 0),), True),  # a disagreement flags whichever model is wrong
    ],
)
def test_digits_disagree(runs: tuple[tuple[str, str, str, int], ...], doubtful: bool) -> None:
    assert digits_disagree(runs) is doubtful


def _eng(read: str, again: str = "", larger: str = "", printed: int = 0) -> DigitRun:
    """A run eng read surely, at the field's size and enlarged."""
    return DigitRun(read, again, larger, printed, 95.0, 95.0 if larger else 0.0)


def _month_read_short(again: str, larger: str, printed: int) -> tuple[DigitRun, ...]:
    return (_eng("1979", printed=4), _eng("1", again, larger, printed), _eng("12"))


@pytest.mark.parametrize(
    ("raw", "runs", "shown"),
    [
        ("令和8年3月26日", (_eng("8"), _eng("3"), _eng("26", "20", "20")), "令和8年3月20日"),
        ("泉崎666番地23", (_eng("666", "660", "660"), _eng("23", "25", "23")), "泉崎660番地23"),
        (
            "1979年4月24日",
            (_eng("1979", "1970%", "1970"), _eng("4"), _eng("24", "24")),
            "1970年4月24日",
        ),
        ("旭1954番地23", (_eng("1954", "10544"), _eng("23", "23")), "旭1954番地23"),  # more
        ("旭1954番地23", (_eng("1954", "054"), _eng("23", "23")), "旭1954番地23"),  # fewer
        (
            "19 79年4月24日",
            (_eng("1979", "1970", "1970"), _eng("4"), _eng("24", "24")),
            "19 79年4月24日",
        ),
        # 11月 read 1月, two marks in the ink: eng, cut with both, read 11 and 11 enlarged.
        ("1979年1月12日", _month_read_short("11", "11", 2), "1979年11月12日"),
        ("1979年1月12日", _month_read_short("11", "17", 2), "1979年1月12日"),
        ("1979年1月12日", _month_read_short("111", "111", 2), "1979年1月12日"),
        ("1979年1月12日", _month_read_short("11", "11", 0), "1979年1月12日"),
        # Sawarabi Mincho's 27 read 20 by eng at 59, and 20 enlarged: an unsure reading.
        (
            "2003年1月27日",
            (_eng("2003", "2003"), _eng("1"), DigitRun("27", "20", "20", 2, 59.0, 59.0)),
            "2003年1月27日",
        ),
        # VL Gothic's 10 read 16 by jpn, 10 by eng at 84 and 10 enlarged at 96: sure of it.
        (
            "昭和61年6月16日",
            (_eng("61"), _eng("6"), DigitRun("16", "10", "10", 2, 84.0, 96.0)),
            "昭和61年6月10日",
        ),
        # VL Gothic's 30 read 36 by jpn, 30 by eng at 95 and 50 enlarged at 67: the enlarged
        # reading, unsure, does not gainsay it; sure, it does.
        (
            "昭和36年7月36日",
            (_eng("36"), _eng("7"), DigitRun("36", "30", "50", 2, 95.0, 67.0)),
            "昭和36年7月30日",
        ),
        (
            "昭和36年7月36日",
            (_eng("36"), _eng("7"), DigitRun("36", "30", "50", 2, 95.0, 95.0)),
            "昭和36年7月36日",
        ),
    ],
)
def test_digits_read_again(raw: str, runs: tuple[DigitRun, ...], shown: str) -> None:
    """A lost digit is put back only where eng read as many digits as the ink's marks, and the
    same enlarged: not with another enlarged, more digits, or no marks counted. Digits eng
    read otherwise are shown only where it read them surely, and enlarged read the same or
    unsurely."""
    assert digits_read_again(raw, runs, SURE_DIGITS) == shown


@pytest.mark.parametrize(
    ("larger", "counted", "shown"),
    [
        ("27170", True, "山王2770番地20"),  # five digits enlarged, 2770 among them in order
        ("27760", True, "山王2776番地20"),  # 2776 among them too: it says nothing
        ("27", True, "山王2776番地20"),  # fewer digits than the ink's marks: gainsaid
        ("2776", True, "山王2776番地20"),  # four, the other ones: gainsaid
        ("27170", False, "山王2776番地20"),  # a date's rule: any other reading gainsays
    ],
)
def test_a_text_line_s_number_read_enlarged_with_another_count_gainsays_nothing(
    larger: str, counted: bool, shown: str
) -> None:
    """VL Gothic's 2770, read 2776 by jpn, came back 2770 from eng at 70 and 27170 enlarged
    (development form 1770): five digits where the ink holds four marks, 2770 among them in
    order and not 2776, bear eng out."""
    runs = (DigitRun("2776", "2770", larger, 4, 70.0, 64.0), _eng("20", "20", printed=2))
    assert digits_read_again("山王2776番地20", runs, 0.0, counted=counted) == shown


def test_an_address_number_read_again_is_shown_with_its_place_names_put_right() -> None:
    """Development form 1590: 那覇市 read 那市 (市 at 0) and 630 read 636; the number read
    again no longer lined the letters up with the symbols, and the doubted 市 was not seen:
    shown 沖縄県那市…, implausible. Both are shown put right, flagged."""
    spec = FormField(name="address", label="住所", kind="text", box_mm=(65.0, 86.0, 130.0, 11.0))
    raw = "沖縄県那市泉崎636番地18"
    symbols = tuple((char, 0.0 if char == "市" else 99.0) for char in raw)
    runs = (DigitRun("636", "630", "630", 3, 96.0, 95.0), _eng("18", "18", printed=2))
    reading = FieldReading("address", raw, 79.0, 0.1, symbols=symbols, digits_again=runs)
    value = field_value(spec, reading, True, date(2026, 11, 1))
    assert (value.value, value.needs_review, value.review_reason) == (
        "沖縄県那覇市泉崎630番地18",
        True,
        "confusable",
    )


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("小川| 隆", "小川 隆"),  # development form 1770
        ("|小川 隆", "小川 隆"),
        ("小川 隆|", "小川 隆"),
        ("小川 | 隆", "小川 | 隆"),  # a word of its own: stray_marks shows it, for staff
        ("1|2丁目", "1|2丁目"),  # between two characters: may be one misread
        ("番地1|", "番地1|"),  # beside a digit: may be a piece of one (11)
        ("|7 小川", "|7 小川"),
        ("川| 7", "川 7"),
    ],
)
def test_bars_dropped(text: str, shown: str) -> None:
    assert bars_dropped(text) == shown


def test_a_name_read_with_a_bar_is_shown_without_it_and_flagged() -> None:
    spec = FormField(name="name", label="氏名", kind="text", box_mm=(20.0, 40.0, 90.0, 11.0))
    raw = "小川| 隆"
    reading = FieldReading("name", raw, 81.0, 0.1, symbols=tuple((c, 99.0) for c in raw))
    value = field_value(spec, reading, True, date(2026, 11, 1))
    assert (value.value, value.needs_review, value.review_reason) == (
        "小川 隆",
        True,
        "implausible",
    )


def test_an_address_read_with_a_bar_is_shown_with_it_and_flagged() -> None:
    """Sawarabi Mincho's 京都府八幡市八幡川口7 came back "…八幡川| 7": the bar is a piece of
    口, and the line shown without it would look read right."""
    spec = FormField(name="address", label="住所", kind="text", box_mm=(65.0, 86.0, 130.0, 11.0))
    raw = "京都府八幡市八幡川| 7"
    reading = FieldReading("address", raw, 81.0, 0.1, symbols=tuple((c, 99.0) for c in raw))
    value = field_value(spec, reading, True, date(2026, 11, 1))
    assert value.needs_review
    assert isinstance(value.value, str) and "|" in value.value


@pytest.mark.parametrize(
    ("text", "lone"),
    [
        ("鹿児島県鹿児島市山下町1000番地e", True),  # development form 2300: 6 read e
        ("東京都港区芝5丁目 Aハイツ", True),  # a building's letter: staff look, nothing lost
        ("山田 X子", True),
        ("東京都港区芝5丁目 ABCビル", False),
        ("東京都港区芝5丁目 ＮＴＴ", False),
        ("鹿児島県鹿児島市山下町1000番地6", False),
    ],
)
def test_lone_latin_letter(text: str, lone: bool) -> None:
    assert lone_latin_letter(text) is lone


def test_an_address_ending_in_a_lone_letter_goes_to_staff() -> None:
    """Noto Serif CJK's 1000番地6 came back "1000番地e" at 91, each character at 95 or more,
    and was trusted (development form 2300)."""
    spec = FormField(name="address", label="住所", kind="text", box_mm=(65.0, 86.0, 130.0, 11.0))
    raw = "鹿児島県鹿児島市山下町1000番地e"
    reading = FieldReading("address", raw, 91.0, 0.1, symbols=tuple((c, 99.0) for c in raw))
    value = field_value(spec, reading, True, date(2026, 11, 1))
    assert (value.value, value.needs_review, value.review_reason) == (raw, True, "implausible")


def test_a_line_s_digits_read_again_unsurely_are_shown_as_eng_read_them() -> None:
    """Only a date's digits need eng to be sure: a line of text's are shown as it read them
    (its numbers are measured on their own)."""
    unsure = (DigitRun("666", "660", "660", 0, 40.0, 40.0), _eng("23", "23"))
    assert digits_read_again("泉崎666番地23", unsure) == "泉崎660番地23"


def test_a_date_the_two_models_read_differently_is_shown_as_the_digit_model_read_it() -> None:
    spec = FormField(name="filed", label="請求日", kind="date", box_mm=(20.0, 132.0, 75.0, 11.0))
    runs = (DigitRun("8"), DigitRun("3"), DigitRun("26", "20", "20", 0, 95.0, 95.0))
    reading = FieldReading("filed", "令和8年3月26日", 91.0, 0.1, digits_again=runs)
    value = field_value(spec, reading, True, date(2026, 11, 1))
    assert (value.value, value.needs_review, value.review_reason) == (
        "2026-03-20",
        True,
        "confusable",
    )


@pytest.mark.parametrize(
    ("raw", "year", "shown"),
    [
        # 1980年 read 19890年 (development form 1758): eng read the ink's four marks, surely.
        ("19890年6月5日", DigitRun("19890", "1980", "", 4, 96.0), "1980-06-05"),
        # 昭和20年 read 昭和720年, 和's last stroke a 7.
        ("昭和720年9月1日", DigitRun("720", "20", "", 2, 96.0), "1945-09-01"),
        ("昭和720年9月1日", DigitRun("720", "20", "", 2, 70.0), None),  # eng unsure
        ("昭和720年9月1日", DigitRun("720", "2", "", 2, 96.0), None),  # fewer than the marks
        ("昭和720年9月1日", DigitRun("720", "20", "", 0, 96.0), None),  # no marks counted
    ],
)
def test_a_date_read_with_a_digit_more_than_its_ink_is_shown_as_the_marks_read(
    raw: str, year: DigitRun, shown: str | None
) -> None:
    """A date that does not parse, one number read with more digits than its marks of ink,
    is shown as the digit model read those marks where it read as many, surely: flagged
    still, but no longer shown as nothing. A line of text's numbers are not so read."""
    spec = FormField(name="born", label="生年月日", kind="date", box_mm=(60.0, 63.0, 75.0, 11.0))
    runs = (year, DigitRun(raw[-4], printed=1), DigitRun(raw[-2], printed=1))
    reading = FieldReading("born", raw, 90.0, 0.1, digits_again=runs)
    value = field_value(spec, reading, True, date(2026, 11, 1))
    assert (value.value, value.needs_review, value.review_reason) == (shown, True, "implausible")
    assert digits_read_again(raw, runs, SURE_DIGITS) == raw  # without `surplus`, as read


@pytest.mark.parametrize(
    ("year", "shown"),
    [
        # 平成2年 read 平成12年, a stroke of 成 a 1: eng read the one mark, surely.
        (DigitRun("12", "2", "", 1, 96.0), "1990-03-04"),
        (DigitRun("12", printed=1), "2000-03-04"),  # not read again: as read, flagged
        (DigitRun("12", "2", "", 1, 70.0), "2000-03-04"),  # eng unsure
    ],
)
def test_a_date_that_parses_with_a_digit_more_than_its_ink_is_flagged(
    year: DigitRun, shown: str
) -> None:
    """A number read with more digits than its marks of ink, in a date that parses, is never
    trusted; it is shown as the digit model read the marks where it read as many, surely."""
    spec = FormField(name="born", label="生年月日", kind="date", box_mm=(60.0, 63.0, 75.0, 11.0))
    raw = "平成12年3月4日"
    runs = (year, DigitRun("3", printed=1), DigitRun("4", printed=1))
    reading = FieldReading("born", raw, 95.0, 0.1, digits_again=runs)
    value = field_value(spec, reading, True, date(2026, 11, 1))
    assert (value.value, value.needs_review, value.review_reason) == (shown, True, "implausible")


def test_a_date_read_with_as_many_digits_as_its_marks_is_trusted() -> None:
    spec = FormField(name="born", label="生年月日", kind="date", box_mm=(60.0, 63.0, 75.0, 11.0))
    runs = (DigitRun("12", printed=2), DigitRun("3", printed=1), DigitRun("4", printed=0))
    reading = FieldReading("born", "平成12年3月4日", 95.0, 0.1, digits_again=runs)
    value = field_value(spec, reading, True, date(2026, 11, 1))
    assert (value.value, value.needs_review) == ("2000-03-04", False)


@pytest.mark.parametrize(
    ("raw", "day", "shown"),
    [
        ("令和7年7月日", DigitRun("", "3", "3", 1, 92.0, 88.0), "令和7年7月3日"),
        ("令和7年7月 日", DigitRun("", "3", "3", 1, 70.0, 90.0), "令和7年7月3日"),  # one sure
        ("令和7年7月日", DigitRun("", "3", "3", 1, 70.0, 80.0), None),  # neither sure
        ("令和7年7月日", DigitRun("", "3", "8", 1, 92.0, 92.0), None),  # read otherwise enlarged
        ("令和7年7月日", DigitRun("", "31", "31", 1, 92.0, 92.0), None),  # more than the marks
        ("令和7年7月日", DigitRun("", "3a", "3a", 2, 92.0, 92.0), None),  # not digits
        ("令和7年7月3日", DigitRun("", "3", "3", 1, 92.0, 92.0), None),  # the day was read
        ("令和7年7月日", None, None),
    ],
)
def test_a_day_lost_whole_is_put_back_as_its_marks_read(
    raw: str, day: DigitRun | None, shown: str | None
) -> None:
    assert lost_day_restored(raw, day, SURE_DIGITS) == shown


@pytest.mark.parametrize(
    "printed",
    [
        (4, 2),  # 番地30 read 番地3: the last number's marks say two digits
        (5, 1),  # 12214番地 read 2214番地: a number inside the line lost one
    ],
)
def test_an_address_whose_number_lost_a_digit_goes_to_staff(printed: tuple[int, int]) -> None:
    """Numbers read with fewer digits than their marks of ink, at the end of an address line
    or inside it, are not trusted; with as many marks as digits the line is."""
    spec = FormField(name="address", label="住所", kind="text", box_mm=(65.0, 86.0, 130.0, 11.0))
    raw = "青森県弘前市下白銀町2214番地3"
    symbols = tuple((char, 99.0) for char in raw)
    dropped = (DigitRun("2214", "2214", printed=printed[0]), DigitRun("3", printed=printed[1]))
    reading = FieldReading("address", raw, 97.0, 0.1, symbols=symbols, digits_again=dropped)
    value = field_value(spec, reading, True, date(2026, 11, 1))
    assert (value.value, value.needs_review, value.review_reason) == (raw, True, "implausible")
    counted = (DigitRun("2214", "2214", printed=4), DigitRun("3", printed=1))
    kept = FieldReading("address", raw, 97.0, 0.1, symbols=symbols, digits_again=counted)
    assert not field_value(spec, kept, True, date(2026, 11, 1)).needs_review


@pytest.mark.parametrize(
    ("raw", "mended"),
    [
        ("令和7年8月26晶", "令和7年8月26日"),
        ("昭和35年8月23 昌", "昭和35年8月23日"),
        ("2003年1月27晶", "2003年1月27日"),
        ("令和7年8月26日", None),  # read right
        ("令和7年8月26", None),  # nothing after the day
        ("令和7年8朋26日", None),  # 月 read otherwise: not the day's character
        ("令和7年8月264", None),  # a digit more, not a character
    ],
)
def test_a_date_whose_day_mark_was_read_as_another_character(raw: str, mended: str | None) -> None:
    assert day_mark_misread(raw) == mended


def test_a_date_read_with_another_character_for_its_day_mark_is_shown_and_flagged() -> None:
    """Noto Serif CJK's 日 read as 晶 at 94, every other character sure: the date did not
    parse and staff were shown nothing. They are shown the date it reads with 日 there."""
    spec = FormField(name="filed", label="請求日", kind="date", box_mm=(20.0, 132.0, 75.0, 11.0))
    runs = (DigitRun("7", printed=1), DigitRun("8", printed=1), DigitRun("26", "26", printed=2))
    reading = FieldReading("filed", "令和7年8月26晶", 94.0, 0.1, digits_again=runs)
    value = field_value(spec, reading, True, date(2026, 11, 1))
    assert (value.value, value.needs_review, value.review_reason) == (
        "2025-08-26",
        True,
        "implausible",
    )
    impossible = FieldReading("filed", "令和7年2月30晶", 94.0, 0.1, digits_again=runs)
    assert field_value(spec, impossible, True, date(2026, 11, 1)).value is None


def test_a_date_whose_ink_shows_a_digit_more_than_was_read_goes_to_staff() -> None:
    """10月 read as 1月, two marks of ink where one digit was read: the value is not
    trusted, however sure the engine was; with as many marks as digits it is."""
    spec = FormField(name="filed", label="請求日", kind="date", box_mm=(20.0, 132.0, 75.0, 11.0))
    symbols = tuple((char, 99.0) for char in "令和7年1月27日")
    dropped = (DigitRun("7", printed=1), DigitRun("1", printed=2), DigitRun("27", "27"))
    reading = FieldReading(
        "filed", "令和7年1月27日", 97.0, 0.1, symbols=symbols, digits_again=dropped
    )
    value = field_value(spec, reading, True, date(2026, 11, 1))
    assert (value.value, value.needs_review, value.review_reason) == (
        "2025-01-27",
        True,
        "implausible",
    )
    counted = (DigitRun("7", printed=1), DigitRun("1", printed=1), DigitRun("27", "27"))
    same = FieldReading("filed", "令和7年1月27日", 97.0, 0.1, symbols=symbols, digits_again=counted)
    assert not field_value(spec, same, True, date(2026, 11, 1)).needs_review


@pytest.mark.parametrize(
    ("text", "doubtful"),
    [
        ("ニシムラ エミ", False),
        ("ーシムラ エミ", True),  # ニ read as ー: no word starts with a long vowel
        ("サトウ ーコ", True),
        ("スーパー", False),
        ("", False),
    ],
)
def test_long_vowel_first(text: str, doubtful: bool) -> None:
    assert long_vowel_first(text) is doubtful


@pytest.mark.parametrize(
    ("text", "doubtful"),
    [
        ("アベ シンヤ", False),
        ("ァベ シンヤ", True),  # ア read small: no word starts with a small kana
        ("サトウ ョウコ", True),
        ("ショウタ", False),  # inside a word it is what the sound needs
        ("ゃまだ", True),
        ("霞ヶ関", False),
        ("", False),
    ],
)
def test_small_kana_first(text: str, doubtful: bool) -> None:
    assert small_kana_first(text) is doubtful


@pytest.mark.parametrize(
    ("text", "doubtful"),
    [
        ("青森県弘前市下白銀町2377番地10", False),
        ("青森県弘前市下白銀町237 7番地10", True),  # one number read as two
        ("青森県弘前市下白銀町237　7番地10", True),  # a full-width space
        ("旭1-2-3 ハイツ101", False),  # words between the numbers
        ("小川 康弘", False),
        ("2丁目 3", False),
    ],
)
def test_space_inside_number(text: str, doubtful: bool) -> None:
    assert space_inside_number(text) is doubtful


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("オオサワ ュイ", "オオサワ ユイ"),
        ("ァベ ョウコ", "アベ ヨウコ"),
        ("ショウタ", "ショウタ"),  # inside a word: left as read
        ("ゃまだ", "やまだ"),
        ("霞ヶ関", "霞ヶ関"),
    ],
)
def test_small_kana_first_enlarged(text: str, shown: str) -> None:
    assert small_kana_first_enlarged(text) == shown


@pytest.mark.parametrize(
    ("kind", "raw", "shown"),
    [
        ("katakana", "ァベ シンヤ", "アベ シンヤ"),
        ("text", "青森県弘前市下白銀町237 7番地10", "青森県弘前市下白銀町237 7番地10"),
    ],
)
def test_a_small_kana_first_or_a_number_read_as_two_is_flagged(
    kind: FormFieldKind, raw: str, shown: str
) -> None:
    """Flagged however sure the engine was; a word's first small kana is shown full size."""
    spec = FormField(name="f", label="項目", kind=kind, box_mm=(20, 40, 90, 11))
    sure = tuple((char, 99.0) for char in raw if not char.isspace())
    glyphs = len(sure) if kind == "katakana" else 0
    reading = FieldReading("f", raw, 95.0, 0.1, symbols=sure, glyph_runs=glyphs)
    value = field_value(spec, reading, True, date(2026, 11, 1))
    assert (value.value, value.needs_review, value.review_reason) == (shown, True, "implausible")


@pytest.mark.parametrize(
    ("symbols", "runs", "settled"),
    [
        (
            "2003年2月12日",
            (("2003", "2003", "", 0), ("2", "", "", 0), ("12", "12", "", 0)),
            {0, 1, 2, 3, 7, 8},
        ),
        (
            "1984年8月26日",
            (("1984", "1984", "", 0), ("8", "", "", 0), ("26", "20", "20", 0)),
            {0, 1, 2, 3},
        ),
        (
            "旭703番地22",
            (("703", "7O3", "", 0), ("22", "22", "", 0)),
            {6, 7},
        ),  # a letter: not the same
        ("旭703番地22", (("703", "703", "", 0),), set()),  # runs that do not line up: nothing
        ("旭703番地22", (), set()),
        (
            "2003年1月12日",
            (("2003", "2003", "", 0), ("1", "1", "", 2), ("12", "12", "", 0)),
            {0, 1, 2, 3, 7, 8},
        ),  # the ink holds two marks where one digit was read: eng's 1 settles nothing
    ],
)
def test_digits_settled(
    symbols: str, runs: tuple[tuple[str, str, str, int], ...], settled: set[int]
) -> None:
    assert digits_settled([(char, 99.0) for char in symbols], runs) == settled


def test_a_close_second_choice_on_a_digit_the_other_model_read_the_same_is_settled() -> None:
    symbols = (("7", 99.0), ("0", 88.0), ("3", 99.0))
    others = ((), (("6", 80.0),), ())
    assert close_second_choice(symbols, others)
    assert not close_second_choice(symbols, others, settled={0, 1, 2})
    assert close_second_choice(symbols, others, settled={0, 2})


@pytest.mark.parametrize(
    ("raw", "glyphs", "doubtful"),
    [
        ("アベ ヤスヒロ", 6, False),
        ("アベベ ヤスヒロ", 6, True),  # a glyph read twice
        ("アオキモコ", 6, True),  # one not read at all
        ("アベ ヤスヒロ", 0, False),  # not counted (a comb, a vertical box)
    ],
)
def test_kana_count_differs(raw: str, glyphs: int, doubtful: bool) -> None:
    assert kana_count_differs(raw, glyphs) is doubtful


@pytest.mark.parametrize(
    ("raw", "apart", "glyphs", "doubtful"),
    [
        ("ニシムラ ショウタ", "ニシムラショウタ", 8, False),
        ("ニシムラ ショウク", "ニシムラショウタ", 8, True),  # タ read as ク in the line
        ("フタダ コイ", "フクダユイ", 5, True),
        ("アベ ヤスヒロ", "アべヤスヒロ", 6, False),  # べ is ベ's shape: the value has ベ
        ("アベ ヤスヒロ", "アペヤスヒロ", 6, True),
        ("スーパー", "ス一パ一", 4, False),  # 一 for ー: the value has ー
        ("ミヤザキ ユイ", "ミヤザキュイ", 6, False),  # small or full-size: the ink decides
        ("アベ ヤスヒロ", "アベベヤスヒロ", 6, False),  # read again with a glyph too many
        ("アベベ ヤスヒロ", "アベヤスヒロ", 6, False),  # the count is its own rule
        ("アベ ヤスヒロ", "", 6, False),  # not read again
        ("アベ ヤスヒロ", "アペヤスヒロ", 0, False),  # glyphs not counted
    ],
)
def test_kana_read_otherwise(raw: str, apart: str, glyphs: int, doubtful: bool) -> None:
    assert kana_read_otherwise(raw, apart, glyphs) is doubtful


def test_a_katakana_line_read_otherwise_set_apart_is_flagged() -> None:
    spec = FormField(name="kana", label="フリガナ", kind="katakana", box_mm=(115, 40, 80, 11))
    sure = tuple((char, 98.0) for char in "フタダコイ")
    reading = FieldReading(
        "kana", "フタダ コイ", 88.0, 0.1, symbols=sure, glyph_runs=5, kana_apart="フクダユイ"
    )
    value = field_value(spec, reading, True, date(2026, 11, 1))
    assert (value.value, value.needs_review, value.review_reason) == (
        "フタダ コイ",
        True,
        "confusable",
    )


def test_a_katakana_reading_with_another_count_than_its_ink_is_flagged() -> None:
    spec = FormField(name="kana", label="フリガナ", kind="katakana", box_mm=(115, 40, 80, 11))
    sure = tuple((char, 99.0) for char in "アベベヤスヒロ")
    doubled = FieldReading("kana", "アベベ ヤスヒロ", 95.0, 0.1, symbols=sure, glyph_runs=6)
    value = field_value(spec, doubled, True, date(2026, 11, 1))
    assert (value.value, value.needs_review, value.review_reason) == (
        "アベベ ヤスヒロ",
        True,
        "implausible",
    )
    right = FieldReading("kana", "アベ ヤスヒロ", 95.0, 0.1, symbols=sure[1:], glyph_runs=6)
    assert not field_value(spec, right, True, date(2026, 11, 1)).needs_review


def test_a_katakana_line_read_as_one_word_over_an_unsure_gap_is_flagged() -> None:
    spec = FormField(name="kana", label="フリガナ", kind="katakana", box_mm=(115, 40, 80, 11))
    sure = tuple((char, 99.0) for char in "ミヤザキエミ")
    reading = FieldReading("kana", "ミヤザキエミ", 92.0, 0.1, symbols=sure, glyph_runs=6)
    assert not field_value(spec, reading, True, date(2026, 11, 1)).needs_review
    unsure = FieldReading(
        "kana", "ミヤザキエミ", 92.0, 0.1, symbols=sure, glyph_runs=6, space_unsure=True
    )
    value = field_value(spec, unsure, True, date(2026, 11, 1))
    assert (value.needs_review, value.review_reason) == (True, "low_confidence")


def test_a_katakana_line_with_a_kana_whose_size_the_ink_contradicts_is_confusable() -> None:
    spec = FormField(name="kana", label="フリガナ", kind="katakana", box_mm=(115, 40, 80, 11))
    sure = tuple((char, 95.0) for char in "ハラダシヨウタ")
    reading = FieldReading("kana", "ハラダ シヨウタ", 92.0, 0.1, symbols=sure, glyph_runs=7)
    assert not field_value(spec, reading, True, date(2026, 11, 1)).needs_review
    unsure = FieldReading(
        "kana", "ハラダ シヨウタ", 92.0, 0.1, symbols=sure, glyph_runs=7, kana_size_unsure=True
    )
    value = field_value(spec, unsure, True, date(2026, 11, 1))
    assert (value.value, value.needs_review, value.review_reason) == (
        "ハラダ シヨウタ",
        True,
        "confusable",
    )


def test_a_listed_words_field_flags_a_reading_that_is_none_of_its_words() -> None:
    words = ("本人", "妻", "夫", "長男", "子の妻")
    listed = FormField(
        name="relation", label="続柄", kind="text", box_mm=(20, 63, 30, 11), words=words
    )
    free = listed.model_copy(update={"words": ()})
    # Sawarabi Mincho's lone 妻 came back as "お" at 94, sure of every character.
    misread = FieldReading("relation", "お", 94.0, 0.05, symbols=(("お", 94.0),))
    assert not field_value(free, misread, True, date(2026, 11, 1)).needs_review
    value = field_value(listed, misread, True, date(2026, 11, 1))
    assert (value.value, value.needs_review, value.review_reason) == ("お", True, "implausible")
    # 男 in a name is always doubtful (勇 comes back as 男); in 続柄 it is what is expected.
    for word in ("妻", "長男", "子の 妻"):  # a space the engine put between words is not one
        right = FieldReading("relation", word, 95.0, 0.05, symbols=tuple((c, 95.0) for c in word))
        assert not field_value(listed, right, True, date(2026, 11, 1)).needs_review, word


@pytest.mark.parametrize(
    ("kind", "hand", "words"),
    [("katakana", False, ("ホンニン",)), ("text", True, ("妻",)), ("text", False, ("子の 妻",))],
)
def test_words_are_for_printed_text_fields_of_words_without_spaces(
    kind: str, hand: bool, words: tuple[str, ...]
) -> None:
    with pytest.raises(ValidationError, match=r"words|a word"):
        FormField(
            name="relation",
            label="続柄",
            kind=kind,
            box_mm=(20, 63, 30, 11),
            hand=hand,
            words=words,
        )


@pytest.mark.parametrize("words", [(), ("妻", "母")])
def test_a_line_the_two_networks_read_otherwise_goes_to_staff(words: tuple[str, ...]) -> None:
    spec = FormField(name="name", label="氏名", kind="text", box_mm=(20, 40, 90, 11), words=words)
    text = "母" if words else "西村 蓮"
    sure = tuple((char, 99.0) for char in text if not char.isspace())
    agreed = FieldReading("name", text, 96.0, 0.1, symbols=sure, second_opinion="agreed")
    assert not field_value(spec, agreed, True, date(2026, 11, 1)).needs_review
    differed = FieldReading("name", text, 96.0, 0.1, symbols=sure, second_opinion="differed")
    value = field_value(spec, differed, True, date(2026, 11, 1))
    assert (value.value, value.needs_review, value.review_reason) == (text, True, "confusable")


@pytest.mark.parametrize(
    ("text", "doubtful"),
    [
        ("高橋 一郎", True),  # the paper may say 髙橋: no model here reads 髙
        ("山崎 花子", True),  # 﨑
        ("吉田 修", True),  # 𠮷
        ("山田 花子", False),
        ("高知県高知市本町1", False),  # an address: its place names are checked on the list
        ("東京都品川区大崎1丁目", True),  # after them, 大崎 may be 大﨑 on paper
        ("141-0032 東京都品川区大崎1丁目", True),  # a postal code first
        ("神奈川県川崎市川崎区宮前町1-2", False),  # 崎 only in listed names
    ],
)
def test_a_name_holding_a_character_whose_rare_twin_is_unreadable_goes_to_staff(
    text: str, doubtful: bool
) -> None:
    spec = FormField(name="name", label="氏名", kind="text", box_mm=(20, 40, 90, 11))
    sure = tuple((char, 99.0) for char in text if not char.isspace())
    reading = FieldReading("name", text, 97.0, 0.1, symbols=sure)
    value = field_value(spec, reading, True, date(2026, 11, 1))
    assert value.needs_review is doubtful
    if doubtful:
        assert value.review_reason == "confusable"


@pytest.mark.parametrize(
    ("text", "doubtful"),
    [
        ("柳0 花子", True),  # an empty box (a glyph the face lacks) read as a digit
        ("柳1花子", True),
        ("柳 0 花子", True),
        ("坂10子", True),
        ("山田 花子", False),
        ("花子2", False),  # not between letters
        ("3丁目", False),
        ("", False),
    ],
)
def test_digit_inside_word(text: str, doubtful: bool) -> None:
    assert digit_inside_word(text) is doubtful


@pytest.mark.parametrize(
    ("text", "doubtful"),
    [
        ("ー通につき 三百円", True),  # 一 read as ー: no sound before it to lengthen
        ("ーノ瀬 ルーシー", True),
        ("山田 ー郎", True),
        ("第ー", True),  # after a kanji
        ("北ー条西", True),
        ("3ー丁目", True),  # a kanji after it
        ("ヤマ一チ 商店", True),  # 一 inside a katakana word: ー read as 一
        ("一通につき 三百円", False),
        ("一ノ瀬 ルーシー", False),
        ("センター前", False),  # after a kana, a kanji may follow
        ("すーぱー", False),
        ("1ー2ー3", False),  # a dash between numbers, as written in an address
        ("一宮 一郎", False),
        ("", False),
    ],
)
def test_long_vowel_misplaced(text: str, doubtful: bool) -> None:
    assert long_vowel_misplaced(text) is doubtful


@pytest.mark.parametrize(
    ("text", "doubtful"),
    [
        ("中村 こんぶわペ", True),  # ぺ read as its katakana twin
        ("山田 ベに", True),
        ("斉藤 まパえす", True),  # ぷ read as パ
        ("中村 こんぶわぺ", False),
        ("アベ はなこ", False),  # a katakana word and a hiragana one
        ("ひばりヶ丘", False),  # ヶ counts places, it is not a letter of a word
        ("センターの前", False),
        ("ペンを", False),
    ],
)
def test_katakana_among_hiragana(text: str, doubtful: bool) -> None:
    assert katakana_among_hiragana(text) is doubtful


@pytest.mark.parametrize(
    ("text", "doubtful"),
    [
        ("関口 口ミ", True),  # ロ read as its kanji twin 口
        ("川ロー", True),  # 川口 一: 口 read as ロ (and 一 as ー)
        ("ハ王子", True),
        ("エ藤 一", True),
        ("関口 ロミ", False),
        ("一ノ瀬 ルーシー", False),  # ノ is written in names beside kanji
        ("八ツ橋", False),
        ("茅ヶ崎", False),
        ("センター前", False),
        ("山田 花子", False),
    ],
)
def test_kanji_read_as_katakana(text: str, doubtful: bool) -> None:
    assert kanji_read_as_katakana(text) is doubtful


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("柳0 花子", "implausible"),
        ("関口 口ミ", "implausible"),
        ("東京都港区六本木6-10-1 ロ棟", None),  # an address may mix them (イ棟, ロ棟)
        ("ーノ瀬 ルーシー", "implausible"),
        ("中村 こんぶわペ", "implausible"),
        ("斉藤 ばせり", "confusable"),  # how 斉藤 ぱせり is read, the engine sure of ば
        ("山田 ぽんず", "confusable"),
        ("茨城県つくば市吾妻1丁目", None),  # ば in a listed place name
        ("山田 はな", None),
        ("沖縄県那覇市泉1番地", None),  # an address's digits sit between letters
        ("山田 花子", None),
    ],
)
def test_a_name_read_with_a_misplaced_character_goes_to_staff(
    text: str, reason: str | None
) -> None:
    spec = FormField(name="name", label="氏名", kind="text", box_mm=(20, 40, 90, 11))
    sure = tuple((char, 99.0) for char in text if not char.isspace())
    reading = FieldReading("name", text, 97.0, 0.1, symbols=sure)
    value = field_value(spec, reading, True, date(2026, 11, 1))
    assert (value.value, value.needs_review, value.review_reason) == (
        text,
        reason is not None,
        reason,
    )


@pytest.mark.parametrize(
    ("symbols", "others", "doubtful"),
    [
        ("ソビ", ((), (("ピ", 34.1), ("ド", 0.0))), True),  # ピ read as ビ, ピ seen at 34
        ("ベベ", ((("べ", 31.0),), (("ペ", 58.7),)), True),
        ("ソビ", ((), (("ピ", 20.0),)), False),  # too faint a choice
        ("ベラ", ((("べ", 31.0),),), False),  # the hiragana twin: the same mark
        ("ソビ", (), False),  # no other choices read: the engine was sure
    ],
)
def test_other_mark_seen(
    symbols: str, others: tuple[tuple[tuple[str, float], ...], ...], doubtful: bool
) -> None:
    assert other_mark_seen([(char, 96.5) for char in symbols], others) is doubtful
