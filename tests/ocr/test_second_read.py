"""Names the fast model misreads or doubts, read through the worker: a doubted line is read
again by the larger network (`infra/ocr/second_opinion.py`). Where the two differ, the surer
reading is shown and the field goes to staff; where they agree, only a sure agreement clears
the doubt, and never one about a member of a confusable pair."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import date
from pathlib import Path

import pytest

from handlers.ocr.reading import field_value
from schemas.forms import FormField, FormTemplate
from schemas.ocr import DocumentResult
from tests.ocr.corpus import MINCHO, font_path
from tests.ocr.dev_corpus import FACES as DEV_FACES
from tests.ocr.one_read import names_page, read_dev_form, read_one_box, read_rendered

TODAY = date(2026, 11, 1)
# Measured when written, in IPAexGothic with the fast model alone (the readings depend on where
# a name sits on the page, so each page is kept as it was measured):
# 高橋 夢 (81, confusable), 佐藤 三郎 (77, low_confidence), 山田 花子 (91), 原田 三朗 (90).
MISREAD = {"lotus": "高橋 蓮", "sure": "佐藤 三郎", "plain": "山田 花子", "saburo": "原田 三郎"}
# 高橋 蓮 (67, low_confidence), 阿部 美穂 (87), 山田 花子 (94), 原田 三朗 (90), and 髙橋 一郎 as
# 高橋 一郎 (81, confusable), which the larger network reads as 高橋 一郎 too: with agreement
# clearing every doubt, it came back trusted at 95.
DOUBTED = {
    "lotus": "高橋 蓮",
    "abe": "阿部 美穂",
    "plain": "山田 花子",
    "saburo": "原田 三郎",
    "variant": "髙橋 一郎",
}
# Rare variants and their misreadings, laid out as a code review's probe had them: both
# networks read 嵜本 誠 as 寄本 誠 (the fast one at 49, its 寄 at 82; the larger at 95), which
# agreement made trusted; 𠮷田 浩 came back 図田 浩 (86), trusted before the second opinion.
VARIANTS = ["𠮷川 明", "𠮷田 浩", "一通につき 三百円", "郎女 ぽんず", "斉藤 ぱせり", "山﨑 太郎"]
VARIANTS += ["髙橋 一郎", "高橋 ぶどう", "嵜本 誠", "東京都品川区大﨑1丁目", "柳﨑 花子", "髙村 薫"]


def names_form(written: Mapping[str, str]) -> FormTemplate:
    return FormTemplate(
        id="second-opinion",
        name="氏名の届",
        fields=tuple(
            FormField(name=name, label="氏名", kind="text", box_mm=(60, 40 + 18 * n, 90, 12))
            for n, name in enumerate(written)
        ),
    )


async def read(written: Mapping[str, str], folder: Path) -> DocumentResult:
    return await read_rendered(names_form(written), written, font_path(), folder, TODAY)


@pytest.fixture(scope="module")
async def misread(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DocumentResult]:
    yield await read(MISREAD, tmp_path_factory.mktemp("misread"))


@pytest.fixture(scope="module")
async def variants(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DocumentResult]:
    written = {f"f{i}": name for i, name in enumerate(VARIANTS)}
    folder = tmp_path_factory.mktemp("variants")
    yield await read_rendered(
        names_page(len(written), "probe"), written, font_path(), folder, TODAY
    )


@pytest.fixture(scope="module")
async def doubted(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DocumentResult]:
    yield await read(DOUBTED, tmp_path_factory.mktemp("doubted"))


@pytest.mark.parametrize("name", ["lotus", "saburo"])
def test_a_name_the_fast_model_misreads_is_shown_as_the_larger_one_reads_it(
    misread: DocumentResult, name: str
) -> None:
    field = misread.fields[name]
    assert field.value == MISREAD[name]
    assert (field.needs_review, field.review_reason) == (True, "confusable")


def test_a_name_read_surely_is_left_as_read(misread: DocumentResult) -> None:
    plain = misread.fields["plain"]
    assert (plain.value, plain.needs_review) == (MISREAD["plain"], False)


def test_a_doubted_name_both_read_alike_surely_is_trusted(misread: DocumentResult) -> None:
    sure = misread.fields["sure"]
    assert (sure.value, sure.needs_review) == (MISREAD["sure"], False)
    assert sure.confidence >= 95  # the larger network's score, not the fast one's 77


def test_a_name_with_a_common_twin_is_doubtful_however_surely_read(
    doubted: DocumentResult,
) -> None:
    # 高橋 蓮, read alike by both networks at 96: the paper may say 髙橋.
    lotus = doubted.fields["lotus"]
    assert lotus.value == DOUBTED["lotus"]
    assert (lotus.needs_review, lotus.review_reason) == (True, "confusable")


def test_a_rare_variant_both_read_as_its_common_twin_stays_doubtful(
    doubted: DocumentResult,
) -> None:
    variant = doubted.fields["variant"]
    assert variant.value in (DOUBTED["variant"], "高橋 一郎")
    assert variant.needs_review


@pytest.mark.parametrize("name", ["嵜本 誠", "𠮷田 浩", "𠮷川 明"])
def test_a_misreading_both_networks_share_is_not_trusted(
    variants: DocumentResult, name: str
) -> None:
    field = variants.fields[f"f{VARIANTS.index(name)}"]
    assert field.value != name  # neither network reads 嵜 or 𠮷
    assert field.needs_review


def test_a_ruled_table_cell_is_not_asked() -> None:
    """Cells are page text, with no flag to carry a change: the same doubted line (IPAexMincho's
    菊地 桂, read at 14 at the field scale) is asked about in a field, not in a cell."""
    verdicts = [
        read_one_box("菊地 桂", MINCHO, 3.8, table_cells=cells).second_opinion
        for cells in (False, True)
    ]
    assert verdicts[0] != "not_asked"
    assert verdicts[1] == "not_asked"


@pytest.mark.skipif(
    not all(path.is_file() for path, _ in DEV_FACES),
    reason="the development faces are not installed",
)
@pytest.mark.parametrize(
    "form",
    [
        pytest.param(364, id="noto-serif-穂-read-策"),  # the larger network's 穂 no surer (98)
        pytest.param(403, id="sawarabi-恵-read-恭"),  # the larger network's 恭 surer (96 to 95)
    ],
)
def test_where_the_networks_differ_the_letter_most_readings_give_is_shown(
    form: int, tmp_path: Path
) -> None:
    """Development forms 364 (小川 美穂 came back 小川 美策) and 403 (藤田 恵美 as 藤田 恭美):
    cut tight around its ink, both networks read the line right as a line or a raw line."""
    made, result = read_dev_form(form, tmp_path)
    name = result.fields["name"]
    assert (name.value, name.needs_review) == (made.expected["name"], True)


@pytest.mark.skipif(not DEV_FACES[0][0].is_file(), reason="Noto Serif CJK is not installed")
@pytest.mark.parametrize(
    ("printed", "face", "read"),
    [
        ("粂 紗希", DEV_FACES[0][0], "条 紗希"),  # Noto Serif CJK
        ("德永 蒼", font_path(), "徳永 蒼"),  # IPAexGothic
    ],
)
def test_an_agreement_read_as_a_line_of_glyphs_clears_no_doubt(
    printed: str, face: Path, read: str
) -> None:
    """Both networks read these names wrong, alike: the larger one, its single line empty, as
    a line of glyphs at 95-96, as sure as it is of right ones read so. The doubt stands."""
    reading = read_one_box(printed, face, 3.8)
    assert (reading.raw, reading.second_opinion) == (read, "agreed")
    spec = FormField(name="name", label="氏名", kind="text", box_mm=(10.0, 10.0, 90.0, 11.0))
    value = field_value(spec, reading, True, TODAY)
    assert value.needs_review, value
