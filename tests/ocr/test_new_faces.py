"""The development layout printed in Mincho faces no review rule was found on
(`tests/ocr/dev_corpus.NEW_FACES`, `bench.ocr_dev newfaces`): what went wrong there, read again
through the worker. The faces are Debian packages `make setup` does not install: without
them these tests skip."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from handlers.ocr.reading import assemble, plan_pages
from infra.ocr import worker
from schemas.ocr import DocumentResult
from tests.ocr.dev_corpus import DEV_TEMPLATE, NEW_FACES, NEW_FACES_SEED, DevForm, dev_form

# The two faces the rules below were found on, in the order `bench.ocr_dev newfaces 96 0
# BIZUDMincho,HanaMinA` reads them: a form's face is chosen by its seed.
BIZUD_HANAZONO = tuple(
    face for face in NEW_FACES if face[0].stem in ("BIZUDMincho-Regular", "HanaMinA")
)
FACES_MISSING = not all(path.is_file() for path, _ in BIZUD_HANAZONO)


def read_new_face_form(form: int, folder: Path) -> tuple[DevForm, DocumentResult]:
    made = dev_form(NEW_FACES_SEED + form, None, BIZUD_HANAZONO)
    path = folder / f"form.{made.kind}"
    path.write_bytes(made.data)
    (task,) = plan_pages(str(path), made.kind, 1, DEV_TEMPLATE)
    return made, assemble("form", DEV_TEMPLATE, [worker.read_page(task)], date(2026, 11, 1))


@pytest.mark.skipif(FACES_MISSING, reason="BIZ UDMincho and Hanazono Mincho are not installed")
def test_a_character_choice_without_text_does_not_stop_the_page(tmp_path: Path) -> None:
    """BIZ UDMincho's 585,000 came back with a choice whose text was None among a digit's
    other choices: the page's reading failed on it, every field lost."""
    made, result = read_new_face_form(276, tmp_path)
    assert made.face == "BIZUDMincho-Regular"
    assert result.fields["income"].value == made.expected["income"] == 585_000


@pytest.mark.skipif(FACES_MISSING, reason="BIZ UDMincho and Hanazono Mincho are not installed")
def test_a_date_digit_the_engine_nearly_read_as_a_kanji_goes_to_staff(tmp_path: Path) -> None:
    """Hanazono Mincho's 令和8年5月14日 came back 令和8年3月14日 at 86, the 3 at 90 with 有 at
    97 among its choices (`plausible.letter_outscored_digit`): trusted before, now flagged."""
    made, result = read_new_face_form(101, tmp_path)
    assert made.face == "HanaMinA" and made.expected["filed"] == "2026-05-14"
    field = result.fields["filed"]
    assert field.value == "2026-05-14" or field.review_reason == "confusable", field


@pytest.mark.skipif(FACES_MISSING, reason="BIZ UDMincho and Hanazono Mincho are not installed")
def test_a_kana_name_spaced_after_another_letter_is_shown_spaced_as_its_ink(
    tmp_path: Path,
) -> None:
    """Hanazono Mincho's ニシムラ サチコ came back "ニシムラサ チコ" at 93, the glyphs' even
    pitch deciding the space after ニシムラ: shown so, and still for staff."""
    made, result = read_new_face_form(281, tmp_path)
    assert made.face == "HanaMinA" and made.expected["kana"] == "ニシムラ サチコ"
    field = result.fields["kana"]
    assert (field.value, field.needs_review) == ("ニシムラ サチコ", True), field
