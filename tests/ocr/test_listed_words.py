"""A field of listed words (続柄) read as none of them: the line read again by both networks
(`infra.ocr.fields._words_again`), and the one listed word those readings give shown, always
for staff to compare with the scan (`handlers.ocr.listed`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from handlers.ocr.listed import WORD_AGAIN_MIN, listed, word_read_again
from handlers.ocr.reading import field_value
from infra.ocr.readings import FieldReading
from schemas.forms import FormField
from tests.ocr.corpus import MINCHO
from tests.ocr.dev_corpus import FACES, RELATION_WORDS
from tests.ocr.one_read import read_one_box

TODAY = date(2026, 11, 1)
WORDS = ("本人", "妻", "夫", "母", "長男", "二女", "三女", "子の妻")
RELATION = FormField(
    name="relation", label="続柄", kind="text", box_mm=(20, 63, 30, 11), words=WORDS
)


@pytest.mark.parametrize(
    ("readings", "word"),
    [
        ((), None),
        ((("母", 96.0),), ("母", 96.0)),
        ((("母", 87.0), ("手ー", 31.0), ("母", 96.0)), ("母", 96.0)),  # the best score it had
        ((("子の 妻", 90.0),), ("子の妻", 90.0)),  # a space read between its characters
        ((("妻", WORD_AGAIN_MIN - 1),), None),  # read as noise is no support
        ((("生", 90.0), ("まま", 50.0)), None),  # no listed word among them
        ((("二女", 89.0), ("三女", 48.0), ("一女", 86.0)), None),  # two words: neither shown
        ((("二女", 89.0), ("三女", WORD_AGAIN_MIN - 1)), ("二女", 89.0)),
        ((("七女", 85.0), ("三女", 77.0), ("七女", 93.0)), None),  # an unlisted word, mostly
        ((("七 女", 85.0), ("三女", 77.0)), None),  # as often as the listed one: neither
        ((("七女", WORD_AGAIN_MIN - 1), ("三女", 77.0)), ("三女", 77.0)),  # noise: no say
    ],
)
def test_the_listed_word_the_readings_again_give_most(
    readings: tuple[tuple[str, float], ...], word: tuple[str, float] | None
) -> None:
    assert word_read_again(WORDS, readings) == word


def test_a_listed_word_read_with_a_space_is_shown_as_the_list_writes_it() -> None:
    spaced = FieldReading("relation", "長 男", 96.0, 0.05, symbols=(("長", 97.0), ("男", 96.0)))
    value = field_value(RELATION, spaced, True, TODAY)
    assert (value.value, value.needs_review) == ("長男", False)


def test_a_listed_word_is_one_of_the_words_spaces_ignored() -> None:
    assert listed(WORDS, "子の 妻")
    assert listed(WORDS, "長男")
    assert not listed(WORDS, "生")
    assert not listed(WORDS, "")


def test_a_word_read_again_is_shown_and_still_goes_to_staff() -> None:
    # Noto Serif's lone 母 came back as 生 on its line (development set, form 68); cut tight,
    # both networks read 母.
    misread = FieldReading(
        "relation", "生", 0.0, 0.05, symbols=(("生", 82.0),), words_again=(("母", 96.0),)
    )
    value = field_value(RELATION, misread, True, TODAY)
    assert (value.value, value.needs_review, value.review_reason) == ("母", True, "confusable")
    assert value.confidence == 0.0  # the line's, not the reading again's 96
    # With no word, or two, read again: what was read, as a reading none of the words is.
    for again in ((), (("二女", 89.0), ("三女", 48.0))):
        unsure = FieldReading("relation", "生", 0.0, 0.05, words_again=again)
        value = field_value(RELATION, unsure, True, TODAY)
        assert (value.value, value.needs_review, value.review_reason) == (
            "生",
            True,
            "implausible",
        )
    # A field without words never takes a word from readings again.
    free = RELATION.model_copy(update={"words": ()})
    assert field_value(free, misread, True, TODAY).value == "生"


def test_a_listed_reading_is_not_read_again_nor_changed() -> None:
    reading = read_one_box("本人", MINCHO, 4.3, words=RELATION_WORDS)
    assert reading.raw == "本人"
    assert reading.words_again == ()


@pytest.mark.parametrize(
    ("written", "face", "size_mm"),
    [("母", FACES[3][0], 4.4), ("夫", FACES[0][0], 3.8)],
    ids=["sawarabi-mincho", "noto-serif"],
)
def test_a_relation_read_as_no_listed_word_shows_the_word_its_ink_holds(
    written: str, face: Path, size_mm: float
) -> None:
    """Sawarabi Mincho's lone 母 (4.4 mm) comes back as 坪 (the two networks differing, the
    vote a tie), Noto Serif CJK's 夫 (3.8 mm) as 大 at 91, not doubted: read again, cut tight,
    the networks give the word written, and only it."""
    reading = read_one_box(written, face, size_mm, words=RELATION_WORDS)
    assert not listed(RELATION_WORDS, reading.raw), reading.raw  # the case this is about
    spec = RELATION.model_copy(update={"words": RELATION_WORDS})
    value = field_value(spec, reading, True, TODAY)
    assert (value.value, value.needs_review, value.review_reason) == (
        written,
        True,
        "confusable",
    )


def test_a_word_the_list_lacks_is_not_shown_as_one_it_has() -> None:
    """VL Gothic's 七女 (not among the words) came back セ女; read again, 七女 and 三女 twice
    each, and 三女 was shown. A word read again no more often than another is not shown."""
    vl_gothic = next(path for path, _ in FACES if "VL-Gothic" in path.name)
    reading = read_one_box("七女", vl_gothic, 3.8, words=RELATION_WORDS)
    assert not listed(RELATION_WORDS, reading.raw), reading.raw  # the case this is about
    assert any(listed(RELATION_WORDS, text) for text, _ in reading.words_again)
    spec = RELATION.model_copy(update={"words": RELATION_WORDS})
    value = field_value(spec, reading, True, TODAY)
    assert value.value != "三女" and value.needs_review, value
