"""Table-driven tests of the OCR field normalisation (pure functions, no bus needed)."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.ocr.marks import char_whitelist, checkbox_from_ink
from handlers.shared.normalise import Normalised, normalise, parse_date
from schemas.forms import FieldKind

TODAY = date(2026, 6, 1)


def ok(value: str | int | bool) -> Normalised:
    return Normalised(value, True, None)


def review(value: str | int | bool | None, problem: str) -> Normalised:
    return Normalised(value, False, problem)


TEXT_CASES = [
    ("山田太郎", ok("山田太郎")),
    ("  山田太郎 \n", ok("山田太郎")),
    ("山田 太郎", ok("山田 太郎")),  # the writer's space, as the fast jpn model reads it
    ("山田\u3000太郎", ok("山田 太郎")),  # the writer's full-width space: exactly one space
    ("山田\u3000 太郎", ok("山田 太郎")),
    ("山田 \u3000 太郎", ok("山田 太郎")),
    ("大阪市\n北区", ok("大阪市 北区")),  # a line break becomes one space
    ("John Smith", ok("John Smith")),
    ("John  Smith", ok("John Smith")),
    ("ＪＯＨＮ　ＳＭＩＴＨ", ok("JOHN SMITH")),  # NFKC: full-width Latin to ASCII
    ("ｶﾞｯｺｳ", ok("ガッコウ")),  # NFKC: half-width katakana joined with its voicing mark
    ("中之島 1-3-20", ok("中之島 1-3-20")),
    ("ＡＢＣ　株式会社", ok("ABC 株式会社")),
    ("髙橋 𠮷野", ok("髙橋 𠮷野")),  # variant and supplementary-plane kanji
    ("すずき", ok("すずき")),
    ("「はい」", ok("「はい」")),
    ("①", ok("1")),
    ("", review("", "empty")),
    ("   \u3000 \n", review("", "empty")),
]


@pytest.mark.parametrize(("raw", "expected"), TEXT_CASES)
def test_text(raw: str, expected: Normalised) -> None:
    assert normalise("text", raw, today=TODAY) == expected


KATAKANA_CASES = [
    ("ヤマダタロウ", ok("ヤマダタロウ")),
    ("ヤマダ  タロウ", ok("ヤマダ タロウ")),
    ("ヤマダ\u3000タロウ", ok("ヤマダ タロウ")),
    ("ヤマダ\u3000タロウ ", ok("ヤマダ タロウ")),
    ("ﾔﾏﾀﾞ ﾀﾛｳ", ok("ヤマダ タロウ")),  # half-width kana become full width
    ("ｳﾞｨｸﾄﾘｱ", ok("ヴィクトリア")),
    ("スーパー", ok("スーパー")),
    ("ス一パ-", ok("スーパー")),  # long-vowel marks read as the kanji 一 or a hyphen
    ("スｰパ−", ok("スーパー")),
    ("ジョン・スミス", ok("ジョン・スミス")),
    ("ササキヽ", ok("ササキヽ")),
    ("ヶ", ok("ヶ")),
    ("やまだ", review("やまだ", "unexpected_characters")),  # hiragana is not converted
    ("ヤマだ", review("ヤマだ", "unexpected_characters")),
    ("アべ ヤスヒロ", ok("アベ ヤスヒロ")),  # べ and ベ are one shape: among katakana, katakana
    ("へぺ", ok("ヘペ")),
    ("すべて", review("すべて", "unexpected_characters")),  # among hiragana it stays as read
    ("山田", review("山田", "unexpected_characters")),
    ("YAMADA", review("YAMADA", "unexpected_characters")),
    ("ヤマダ1", review("ヤマダ1", "unexpected_characters")),
    ("", review("", "empty")),
    (" \u3000 ", review("", "empty")),
]


@pytest.mark.parametrize(("raw", "expected"), KATAKANA_CASES)
def test_katakana(raw: str, expected: Normalised) -> None:
    assert normalise("katakana", raw, today=TODAY) == expected


DIGITS_CASES = [
    ("06-1234-5678", ok("06-1234-5678")),
    ("０６−１２３４−５６７８", ok("06-1234-5678")),
    ("0 6 - 1 2 3 4 - 5 6 7 8", ok("06-1234-5678")),
    ("06ー1234ー5678", ok("06-1234-5678")),
    ("06‐1234—5678", ok("06-1234-5678")),
    ("06―1234－5678", ok("06-1234-5678")),
    ("06ｰ1234–5678", ok("06-1234-5678")),
    ("〇6-1234-5678", ok("06-1234-5678")),  # 〇 is a zero in Japanese writing
    ("06--1234---5678", ok("06-1234-5678")),  # a long dash read as several
    ("530-0005", ok("530-0005")),
    ("0612345678", ok("0612345678")),
    ("O6-l234-5678", review("06-1234-5678", "ambiguous_characters")),
    ("o6-I234-|678", review("06-1234-1678", "ambiguous_characters")),
    ("06-1234-5678-", review("06-1234-5678", "stray_hyphens")),
    ("-06-1234-5678", review("06-1234-5678", "stray_hyphens")),
    ("06(1234)5678", review("0612345678", "unexpected_characters")),
    ("TEL 06-1234-5678", review("06-1234-5678", "unexpected_characters")),
    ("tel 06-1234-5678", review("06-1234-5678", "unexpected_characters")),  # "tel" is no 1
    ("06-1234-567B", review("06-1234-567", "unexpected_characters")),
    ("〒530-0005", review("530-0005", "unexpected_characters")),
    ("-", review(None, "no_digits")),
    ("なし", review(None, "no_digits")),
    ("", review(None, "empty")),
    ("  ", review(None, "empty")),
]


@pytest.mark.parametrize(("raw", "expected"), DIGITS_CASES)
def test_digits(raw: str, expected: Normalised) -> None:
    assert normalise("digits", raw, today=TODAY) == expected


INTEGER_CASES = [
    ("12345", ok(12345)),
    ("12,345", ok(12345)),
    ("1,234,567", ok(1234567)),
    ("１２３４５", ok(12345)),
    ("１２，３４５", ok(12345)),
    ("12345円", ok(12345)),
    ("¥12,345", ok(12345)),
    ("￥12,345", ok(12345)),
    ("¥12,345円", ok(12345)),
    ("1 2 , 3 4 5 円", ok(12345)),
    ("300", ok(300)),
    ("0", ok(0)),
    ("1〇〇", ok(100)),
    ("l2,345", review(12345, "ambiguous_characters")),
    ("3OO円", review(300, "ambiguous_characters")),
    ("12.345", review(None, "not_an_integer")),
    ("1,23", review(None, "not_an_integer")),
    ("12,3456", review(None, "not_an_integer")),
    ("1234,567", review(None, "not_an_integer")),
    (",123", review(None, "not_an_integer")),
    ("12-345", review(None, "not_an_integer")),
    ("-300", review(None, "not_an_integer")),
    ("12345ドル", review(None, "not_an_integer")),
    ("円", review(None, "no_digits")),
    ("abc", review(None, "no_digits")),
    ("", review(None, "empty")),
]


@pytest.mark.parametrize(("raw", "expected"), INTEGER_CASES)
def test_integer(raw: str, expected: Normalised) -> None:
    result = normalise("integer", raw, today=TODAY)
    assert result == expected
    assert type(result.value) is type(expected.value)  # a JSON int, not a str or a bool


DATE_CASES = [
    # Western
    ("2026-06-05", ok("2026-06-05")),
    ("2026/6/5", ok("2026-06-05")),
    ("2026.6.5", ok("2026-06-05")),
    ("2026年6月5日", ok("2026-06-05")),
    ("2026年6月5", ok("2026-06-05")),
    ("20260605", ok("2026-06-05")),
    ("２０２６／０６／０５", ok("2026-06-05")),
    ("2026−06−05", ok("2026-06-05")),
    ("2 0 2 6 年 6 月 5 日", ok("2026-06-05")),
    ("2〇26-〇6-〇5", ok("2026-06-05")),
    ("1868-01-01", ok("1868-01-01")),
    ("2027-06-01", ok("2027-06-01")),  # exactly a year after today
    # Japanese eras, full and abbreviated
    ("令和8年6月5日", ok("2026-06-05")),
    ("令 和 8 年 6 月 5 日", ok("2026-06-05")),
    ("令和８年６月５日", ok("2026-06-05")),
    ("㋿8年6月5日", ok("2026-06-05")),
    ("令8.6.5", ok("2026-06-05")),
    ("R8.6.5", ok("2026-06-05")),
    ("r8.6.5", ok("2026-06-05")),
    ("Ｒ８．６．５", ok("2026-06-05")),
    ("R08/06/05", ok("2026-06-05")),
    ("R8年6月5日", ok("2026-06-05")),
    ("令和元年5月1日", ok("2019-05-01")),
    ("令和1年5月1日", ok("2019-05-01")),
    ("H30/1/2", ok("2018-01-02")),
    ("平成30年1月2日", ok("2018-01-02")),
    ("㍻30年1月2日", ok("2018-01-02")),
    ("平成元年1月8日", ok("1989-01-08")),
    ("H31.4.30", ok("2019-04-30")),
    ("昭和33年1月2日", ok("1958-01-02")),
    ("S33.1.2", ok("1958-01-02")),
    ("昭33.1.2", ok("1958-01-02")),
    ("昭和64年1月7日", ok("1989-01-07")),
    ("昭和元年12月25日", ok("1926-12-25")),
    ("大正15年12月25日", ok("1926-12-25")),  # the day of the change, in either era
    ("T1.7.30", ok("1912-07-30")),
    ("大正2年3月4日", ok("1913-03-04")),
    ("明治45年7月30日", ok("1912-07-30")),
    ("M1.1.25", ok("1868-01-25")),
    ("明治1年10月23日", ok("1868-10-23")),
    # Outside the era, or outside the plausible range: the date, flagged
    ("H31.5.1", review("2019-05-01", "implausible_date")),
    ("平成32年1月1日", review("2020-01-01", "implausible_date")),
    ("令和1年4月1日", review("2019-04-01", "implausible_date")),
    ("昭和65年1月1日", review("1990-01-01", "implausible_date")),
    ("昭和64年1月8日", review("1989-01-08", "implausible_date")),
    ("平成元年1月7日", review("1989-01-07", "implausible_date")),
    ("大正15年12月26日", review("1926-12-26", "implausible_date")),
    ("明治1年1月1日", review("1868-01-01", "implausible_date")),
    ("1867-12-31", review("1867-12-31", "implausible_date")),
    ("2027-06-02", review("2027-06-02", "implausible_date")),
    ("令和18年4月1日", review("2036-04-01", "implausible_date")),  # 令和8 misread as 18
    ("令和99年1月1日", review("2117-01-01", "implausible_date")),
    # Not dates
    ("2026/02/30", review(None, "not_a_date")),
    ("2026年13月1日", review(None, "not_a_date")),
    ("2026-00-10", review(None, "not_a_date")),
    ("令和7年2月29日", review(None, "not_a_date")),
    ("令和0年5月1日", review(None, "not_a_date")),
    ("0000-01-01", review(None, "not_a_date")),
    ("26/6/5", review(None, "not_a_date")),
    ("2026年元年6月5日", review(None, "not_a_date")),
    ("X8.6.5", review(None, "not_a_date")),
    ("令和8年6月", review(None, "not_a_date")),
    ("明・大・昭・平・令", review(None, "not_a_date")),
    ("2026-06-05 頃", review(None, "not_a_date")),
    ("", review(None, "empty")),
]


@pytest.mark.parametrize(("raw", "expected"), DATE_CASES)
def test_date(raw: str, expected: Normalised) -> None:
    assert normalise("date", raw, today=TODAY) == expected


@pytest.mark.parametrize(
    ("raw", "today", "expected"),
    [
        ("2026-06-05", date(2026, 6, 1), (date(2026, 6, 5), None)),
        ("2027-06-01", date(2026, 6, 1), (date(2027, 6, 1), None)),
        ("2027-06-02", date(2026, 6, 1), (date(2027, 6, 2), "implausible_date")),
        ("2027-06-02", date(2026, 6, 2), (date(2027, 6, 2), None)),  # the limit follows today
        ("2025-02-28", date(2024, 2, 29), (date(2025, 2, 28), None)),  # leap day today
        ("2025-03-01", date(2024, 2, 29), (date(2025, 3, 1), "implausible_date")),
        ("2028-02-29", date(2027, 2, 28), (date(2028, 2, 29), "implausible_date")),
        ("H31.5.1", date(2026, 6, 1), (date(2019, 5, 1), "implausible_date")),
        ("2026/02/30", date(2026, 6, 1), (None, "not_a_date")),
        ("nonsense", date(2026, 6, 1), (None, "not_a_date")),
    ],
)
def test_parse_date(raw: str, today: date, expected: tuple[date | None, str | None]) -> None:
    assert parse_date(raw, today=today) == expected


@pytest.mark.parametrize(
    ("ink_ratio", "expected"),
    [
        (0.0, ok(False)),
        (0.003, ok(False)),  # a speck
        (0.015, ok(False)),  # a sliver of the box border
        (0.016, review(False, "uncertain_mark")),
        (0.024, review(False, "uncertain_mark")),
        (0.025, review(True, "uncertain_mark")),
        (0.039, review(True, "uncertain_mark")),
        (0.04, ok(True)),  # the smallest deliberate tick
        (0.12, ok(True)),  # a normal tick
        (1.0, ok(True)),  # a filled box
        (-0.01, review(None, "invalid_ink_ratio")),
        (1.01, review(None, "invalid_ink_ratio")),
        (float("nan"), review(None, "invalid_ink_ratio")),
        (float("inf"), review(None, "invalid_ink_ratio")),
    ],
)
def test_checkbox_from_ink(ink_ratio: float, expected: Normalised) -> None:
    assert checkbox_from_ink(ink_ratio) == expected


def test_checkbox_is_not_read_from_text() -> None:
    assert normalise("checkbox", "✓", today=TODAY) == review(None, "unsupported_kind")


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("digits", "0123456789-"),
        ("integer", "0123456789,"),
        ("date", None),
        ("text", None),
        ("katakana", None),
        ("checkbox", None),
    ],
)
def test_char_whitelist(kind: FieldKind, expected: str | None) -> None:
    assert char_whitelist(kind) == expected


PROBLEMS = {
    "empty",
    "unexpected_characters",
    "ambiguous_characters",
    "stray_hyphens",
    "no_digits",
    "not_an_integer",
    "not_a_date",
    "implausible_date",
    "unsupported_kind",
}
PERSONAL = "山田太郎0612345678"


@pytest.mark.parametrize("kind", ["text", "katakana", "digits", "integer", "date", "checkbox"])
@pytest.mark.parametrize(
    "raw",
    ["", PERSONAL, f"{PERSONAL}X", f"令和{PERSONAL}", f"¥{PERSONAL}.5", f"H{PERSONAL}\x00"],
)
def test_a_problem_is_a_fixed_code_and_never_the_input(kind: FieldKind, raw: str) -> None:
    result = normalise(kind, raw, today=TODAY)
    assert result.trusted == (result.problem is None)
    assert result.problem is None or result.problem in PROBLEMS
