"""Names the fast model misreads or doubts, read through the worker: a doubted line is read
again by the larger network (`infra/ocr/second.py`). Where the two differ, the surer reading
is shown and the field goes to staff; where they agree, it is trusted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest

from schemas.forms import FormField, FormTemplate
from schemas.ocr import DocumentResult
from tests.ocr.corpus import font_path
from tests.ocr.one_read import read_rendered

TODAY = date(2026, 11, 1)
# Measured when written, in IPAexGothic with the fast model alone: 高橋 夢 (73, confusable),
# 佐藤 三郎 (77, confusable), 山田 花子 (91, trusted), 原田 三朗 (92, confusable).
WRITTEN = {"lotus": "高橋 蓮", "sure": "佐藤 三郎", "plain": "山田 花子", "saburo": "原田 三郎"}
TEMPLATE = FormTemplate(
    id="second-opinion",
    name="氏名の届",
    fields=tuple(
        FormField(name=name, label="氏名", kind="text", box_mm=(60, 40 + 18 * n, 90, 12))
        for n, name in enumerate(WRITTEN)
    ),
)


@pytest.fixture(scope="module")
async def result(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DocumentResult]:
    folder = tmp_path_factory.mktemp("second")
    yield await read_rendered(TEMPLATE, WRITTEN, font_path(), folder, TODAY)


@pytest.mark.parametrize("name", ["lotus", "saburo"])
def test_a_name_the_fast_model_misreads_is_shown_as_the_larger_one_reads_it(
    result: DocumentResult, name: str
) -> None:
    field = result.fields[name]
    assert field.value == WRITTEN[name]
    assert (field.needs_review, field.review_reason) == (True, "confusable")


def test_a_doubted_name_both_read_alike_is_trusted(result: DocumentResult) -> None:
    sure = result.fields["sure"]
    assert (sure.value, sure.needs_review) == (WRITTEN["sure"], False)
    assert sure.confidence >= 90  # the larger network's score, not the fast one's 77


def test_a_name_read_surely_is_left_as_read(result: DocumentResult) -> None:
    plain = result.fields["plain"]
    assert (plain.value, plain.needs_review) == (WRITTEN["plain"], False)
