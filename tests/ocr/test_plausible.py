"""Doubts about readings that parsed (`handlers.ocr.plausible`), as tables."""

from __future__ import annotations

import pytest

from handlers.ocr.plausible import characters_dropped, confusable, no_letters, stray_punctuation


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
    [("、", True), ("- |", True), ("・・", True), ("山田", False), ("3丁目", False)],
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
