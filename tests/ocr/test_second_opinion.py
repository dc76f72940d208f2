"""A doubted text line beside the larger network's reading of it
(`infra/ocr/second_opinion.py`): pure functions, no engine."""

from __future__ import annotations

import pytest

from infra.ocr.second_opinion import agreement_clears, doubted, letters, merged


def test_where_the_two_agree_the_first_scores_stand() -> None:
    # Agreement is no proof of a letter (both networks read 嵜 as 寄): an unsure one stays so.
    first = [("山", 99), ("田", 80), ("花", 70), ("子", 97)]
    second = [("山", 90), ("田", 96), (" ", 0), ("花", 95), ("子", 99)]
    result = merged("山田 花子", first, second)
    assert (result.text, result.verdict) == ("山田 花子", "agreed")
    assert result.symbols == tuple(first)


def test_where_they_differ_each_letter_is_the_more_confident_reading() -> None:
    first = [("宮", 99), ("崎", 99), ("夢", 93)]
    second = [("定", 87), ("崎", 96), ("蓮", 95)]
    result = merged("宮崎 夢", first, second)
    assert result.verdict == "differed"
    assert result.text == "宮崎 蓮"  # the first reading's space, each letter the surer one
    assert result.symbols == (("宮", 99), ("崎", 99), ("蓮", 93))  # the lower score: a doubt


def test_a_less_confident_other_reading_changes_nothing_but_still_differs() -> None:
    first = [("青", 99), ("木", 99), ("智", 93), ("子", 100)]
    second = [("青", 96), ("木", 96), ("習", 60), ("子", 96)]
    result = merged("青木 智子", first, second)
    assert (result.text, result.verdict) == ("青木 智子", "differed")


def test_digits_and_marks_are_never_changed_only_doubted() -> None:
    # Digits are the English model's to doubt (digit_runs.py); a letter never becomes a mark.
    first = [(c, 80.0) for c in "旭1992番地"]
    second = [("旭", 95), ("①", 95), ("⓪", 95), ("⑨", 95), ("②", 95), ("番", 95), ("地", 95)]
    assert [c for c, _ in letters(second)] == list("旭1092番地")
    result = merged("旭1992番地", first, second)
    assert (result.text, result.verdict) == ("旭1992番地", "differed")
    for other in ("=", "7"):
        result = merged("妻", [("妻", 60)], [(other, 95)])
        assert (result.text, result.verdict) == ("妻", "differed"), other


def test_circled_digits_read_alike_agree() -> None:
    first = [(c, 99.0) for c in "旭2387番地11"]
    second = [("旭", 95), ("②", 95), ("③", 95), ("⑧", 95), ("⑦", 95), ("番", 95), ("地", 95)]
    result = merged("旭2387番地11", first, [*second, ("⑪", 95)])
    assert (result.text, result.verdict) == ("旭2387番地11", "agreed")


def test_an_iteration_mark_is_a_letter() -> None:
    first = [("佐", 99), ("夕", 70), ("木", 99)]
    result = merged("佐夕木", first, [("佐", 96), ("々", 94), ("木", 96)])
    assert (result.text, result.verdict) == ("佐々木", "differed")


def test_readings_of_other_lengths_leave_the_first_as_it_was() -> None:
    first = [("原", 99), ("田", 100), ("夢", 95)]
    result = merged("原田 夢", first, [("原", 90), ("田", 90), ("サ", 60), ("夢", 50)])
    assert result.verdict == "unaligned"
    assert (result.text, result.symbols) == ("原田 夢", tuple(first))


@pytest.mark.parametrize(
    ("first", "larger", "clears"),
    [
        ([("山", 99), ("田", 80)], 96.0, True),
        ([("山", 99), ("田", 80)], 92.0, False),  # the larger network not sure of the line
        ([("高", 94), ("橋", 99)], 97.0, False),  # a pair member the fast one was unsure of
        ([("高", 99), ("橋", 80)], 97.0, True),
    ],
)
def test_when_agreement_clears_a_doubt(
    first: list[tuple[str, float]], larger: float, clears: bool
) -> None:
    assert agreement_clears(first, larger) is clears


@pytest.mark.parametrize(
    ("text", "symbols", "confidence", "asked"),
    [
        ("山田", [("山", 99), ("田", 98)], 96.0, False),  # sure of every letter and the line
        ("山田", [("山", 99), ("田", 94)], 96.0, True),  # a letter under 95
        ("山田", [("山", 99), ("田", 98)], 89.0, True),  # the line under 90
        ("三朗", [("三", 99), ("朗", 99)], 96.0, True),  # the rare member of a confusable pair
        ("12", [("1", 60), ("2", 99)], 96.0, False),  # digits are the digit rules' to doubt
        ("", [], 0.0, False),  # nothing read: nothing to compare
    ],
)
def test_which_lines_are_asked_again(
    text: str, symbols: list[tuple[str, float]], confidence: float, asked: bool
) -> None:
    assert doubted(text, symbols, confidence) is asked


@pytest.mark.parametrize(
    ("again", "text"),
    [
        ((), "定崎 陽菜"),  # the larger network surer of its 定 (99 against 98)
        (("宮崎 陽菜", "宮崎陽菜", "宮崎 陽菜", "宮崎 陽菜"), "宮崎 陽菜"),  # 宮 read most often
        (("宮崎 陽菜", "定崎 陽菜"), "定崎 陽菜"),  # as often as 定: the surer
        (
            ("宮崎", "宮崎 陽菜 様", "宮 崎陽 菜"),
            "宮崎 陽菜",
        ),  # other counts of letters do not count
        (("富崎 陽菜", "富崎 陽菜", "富崎 陽菜"), "富崎 陽菜"),  # a third letter read most often
    ],
)
def test_where_they_differ_the_letter_most_readings_again_give_is_taken(
    again: tuple[str, ...], text: str
) -> None:
    first = [("宮", 98), ("崎", 99), ("陽", 99), ("菜", 99)]
    second = [("定", 99), ("崎", 100), ("陽", 100), ("菜", 99)]
    result = merged("宮崎 陽菜", first, second, again)
    assert (result.text, result.verdict) == (text, "differed")
    assert [score for _, score in result.symbols] == [98, 99, 99, 99]  # the first's scores


def test_readings_again_never_change_a_digit() -> None:
    first = [(c, 80.0) for c in "旭1992番地"]
    second = [("旭", 95), ("①", 95), ("⓪", 95), ("⑨", 95), ("②", 95), ("番", 95), ("地", 95)]
    result = merged("旭1992番地", first, second, ["旭1092番地"] * 4)
    assert result.text == "旭1992番地"


def test_a_rare_variant_the_larger_network_reads_is_not_outvoted() -> None:
    # Cut tight, both networks read IPAexGothic's 渡邉 正 as 渡邊 正: only the larger one's
    # reading of the line had 邉, and it was the surer.
    first = [("渡", 100), ("邊", 96), ("正", 98)]
    second = [("渡", 100), ("邉", 98), ("正", 99)]
    result = merged("渡邊 正", first, second, ["渡邊 正", "渡邊正", "渡邊 正", "渡邊 正"])
    assert result.text == "渡邉 正"
