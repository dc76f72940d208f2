"""Misreadings the engine is sure of, which only a rule about what a name or an address can
hold gives away, read through the worker on one page set in IPAexGothic: each was trusted
before its rule (`handlers.ocr.plausible`, `infra.ocr.confusables`, the street part of an
address in `handlers.ocr.reading`). One page holds every case, so the module costs one read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest

from schemas.ocr import DocumentResult
from tests.ocr.corpus import font_path
from tests.ocr.one_read import names_page, read_rendered

TODAY = date(2026, 11, 1)
# What each came back as when written, with the line's confidence, trusted.
WRITTEN = {
    "ichinose": "一ノ瀬 ルーシー",  # ーノ瀬 ルーシー (93): 一 read as ー
    "parsley": "斉藤 ぱせり",  # 斉藤 ばせり (89)
    "osaki": "東京都品川区大﨑1丁目",  # 東京都品川区大崎1丁目 (93): no model reads 﨑
    "sekiguchi": "関口 ロミ",  # 関口 口ミ (95): ロ read as its kanji twin
    "kawasaki": "神奈川県川崎市川崎区宮前町1-2",  # 崎 only in listed place names: trusted
}


@pytest.fixture(scope="module")
async def result(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DocumentResult]:
    folder = tmp_path_factory.mktemp("silent")
    template = names_page(len(WRITTEN), "silent")
    written = {f"f{i}": text for i, text in enumerate(WRITTEN.values())}
    read = await read_rendered(template, written, font_path(), folder, TODAY)
    yield read.model_copy(
        update={"fields": {key: read.fields[f"f{i}"] for i, key in enumerate(WRITTEN)}}
    )


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("ichinose", "implausible"),
        ("parsley", "confusable"),
        ("osaki", "confusable"),
        ("sekiguchi", "implausible"),
    ],
)
def test_a_sure_misreading_goes_to_staff(result: DocumentResult, key: str, reason: str) -> None:
    field = result.fields[key]
    assert field.value != WRITTEN[key], field  # still misread: the probe is live
    assert (field.needs_review, field.review_reason) == (True, reason), field


def test_an_address_with_its_twin_only_in_listed_names_is_trusted(
    result: DocumentResult,
) -> None:
    field = result.fields["kawasaki"]
    assert (field.value, field.needs_review) == (WRITTEN["kawasaki"], False)
