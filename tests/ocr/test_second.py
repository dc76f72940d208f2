"""A doubted line of words beside the larger network's reading of it (`infra/ocr/second.py`):
pure functions, no engine."""

from __future__ import annotations

import pytest

from infra.ocr.second import doubted, letters, merged


def test_where_the_two_agree_the_more_confident_scores_stand() -> None:
    result = merged(
        "山田 花子",
        [("山", 99), ("田", 80), ("花", 70), ("子", 97)],
        [("山", 90), ("田", 96), (" ", 0), ("花", 95), ("子", 99)],
    )
    assert result.verdict == "agreed"
    assert result.text == "山田 花子"
    assert result.symbols == (("山", 99), ("田", 96), ("花", 95), ("子", 99))


def test_where_they_differ_each_character_is_the_more_confident_reading() -> None:
    first = [("宮", 99), ("崎", 99), ("夢", 93)]
    second = [("定", 87), ("崎", 96), ("蓮", 95)]
    result = merged("宮崎 夢", first, second)
    assert result.verdict == "differed"
    assert result.text == "宮崎 蓮"  # the first reading's space, each letter the surer one
    assert result.symbols == (("宮", 99), ("崎", 99), ("蓮", 95))


def test_a_less_confident_other_reading_changes_nothing_but_still_differs() -> None:
    result = merged(
        "青木 智子",
        [("青", 99), ("木", 99), ("智", 93), ("子", 100)],
        [("青", 96), ("木", 96), ("習", 60), ("子", 96)],
    )
    assert (result.text, result.verdict) == ("青木 智子", "differed")


def test_circled_digits_count_as_the_digits_they_are() -> None:
    first = [(c, 99.0) for c in "旭2387番地11"]
    second = [
        ("旭", 95),
        ("②", 95),
        ("③", 95),
        ("⑧", 95),
        ("⑦", 95),
        ("番", 95),
        ("地", 95),
        ("⑪", 95),
    ]
    assert [c for c, _ in letters(second)] == list("旭2387番地11")
    result = merged("旭2387番地11", first, second)
    assert (result.text, result.verdict) == ("旭2387番地11", "agreed")


def test_readings_of_other_lengths_leave_the_first_as_it_was() -> None:
    first = [("原", 99), ("田", 100), ("夢", 95)]
    result = merged("原田 夢", first, [("原", 90), ("田", 90), ("サ", 60), ("夢", 50)])
    assert result.verdict == "unaligned"
    assert (result.text, result.symbols) == ("原田 夢", tuple(first))


@pytest.mark.parametrize(
    ("symbols", "confidence", "asked"),
    [
        ([("山", 99), ("田", 98)], 96.0, False),  # sure of every letter and the line
        ([("山", 99), ("田", 94)], 96.0, True),  # a letter under 95
        ([("山", 99), ("田", 98)], 89.0, True),  # the line under 90
        ([("三", 99), ("朗", 99)], 96.0, True),  # the rare member of a confusable pair
        ([("1", 60), ("2", 99)], 96.0, False),  # digits are the digit rules' to doubt
    ],
)
def test_which_lines_are_asked_again(
    symbols: list[tuple[str, float]], confidence: float, asked: bool
) -> None:
    assert doubted(symbols, confidence) is asked


def test_a_letter_is_never_taken_for_a_mark_or_a_digit() -> None:
    for other in ("=", "7"):
        result = merged("妻", [("妻", 60)], [(other, 95)])
        assert (result.text, result.verdict) == ("妻", "differed"), other


def test_an_iteration_mark_is_a_letter() -> None:
    result = merged(
        "佐夕木", [("佐", 99), ("夕", 70), ("木", 99)], [("佐", 96), ("々", 94), ("木", 96)]
    )
    assert (result.text, result.verdict) == ("佐々木", "differed")
