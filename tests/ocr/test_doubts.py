"""Doubts the engine's overall confidence does not show, on a form printed in VL Gothic (a face
the pipeline was not tuned on, whose 0 the engine reads as 6 at 85-92 % confidence), read
through the real worker: a digit with a close second choice and a katakana name in three
words are flagged.

One page holds every case, so the module costs one page read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from schemas.forms import FormField, FormTemplate
from schemas.ocr import DocumentResult
from tests.ocr.one_read import read_rendered

TODAY = date(2026, 11, 1)
# Debian's fonts-vlgothic (`make test` installs it with the other faces, `make fonts`).
VL_GOTHIC = Path("/usr/share/fonts/truetype/vlgothic/VL-Gothic-Regular.ttf")
DATES = {"moved_in": "1984年8月20日", "filed": "令和8年3月20日", "issued": "2025年11月10日"}
EXPECTED = {"moved_in": "1984-08-20", "filed": "2026-03-20", "issued": "2025-11-10"}
TEMPLATE = FormTemplate(
    id="doubts",
    name="転入届",
    fields=(
        *(
            FormField(name=name, label=name, kind="date", box_mm=(60, 40 + 18 * n, 90, 12))
            for n, name in enumerate(DATES)
        ),
        FormField(name="kana", label="フリガナ", kind="katakana", box_mm=(60, 100, 90, 12)),
    ),
)


@pytest.fixture(scope="module")
async def result(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DocumentResult]:
    folder = tmp_path_factory.mktemp("doubts")
    yield await read_rendered(
        TEMPLATE, {**DATES, "kana": "ハセ ガワ ユウキ"}, VL_GOTHIC, folder, TODAY
    )


def test_a_digit_with_a_close_second_choice_is_flagged(result: DocumentResult) -> None:
    fields = {name: result.fields[name] for name in DATES}
    assert all(field.value is not None for field in fields.values()), fields  # all were read
    # The engine is 85-93 % sure of such a misread (VL Gothic's 0 read as 6): only a second
    # choice, or the English model reading the digits otherwise, gives it away. Shown as read
    # right or not, each such field is flagged: none is wrong and unflagged.
    assert all(
        field.value == EXPECTED[name] or field.needs_review for name, field in fields.items()
    )
    caught = [name for name, field in fields.items() if field.review_reason == "confusable"]
    assert caught, fields


def test_a_katakana_name_in_three_words_is_flagged(result: DocumentResult) -> None:
    field = result.fields["kana"]
    assert field.value == "ハセ ガワ ユウキ"
    assert (field.needs_review, field.review_reason) == (True, "implausible")
