"""Development forms past those the review rules were found on (`bench.ocr_dev dev 384 192`,
and `dev 576 576` for the second opinion's), whose misreadings the engine was sure of and
which were trusted, or shown wrong, read again through the worker: each is now read right, or
goes to staff for the reason its rule gives. A form a case: a page read each."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ocr.dev_corpus import FACES
from tests.ocr.one_read import read_dev_form

DEV_FACES_MISSING = not all(path.is_file() for path, _ in FACES)


@pytest.mark.skipif(DEV_FACES_MISSING, reason="the development faces are not installed")
@pytest.mark.parametrize(
    ("form", "name", "reason"),
    [
        # 2377番地 came back "237 7番地" at 95 (Sawarabi Mincho): a number read as two.
        pytest.param(215, "address", "implausible", id="space-inside-number"),
        # ショウタ as "ショウク" at 91, set apart at 0.6 (Sawarabi Mincho).
        pytest.param(331, "kana", "confusable", id="kana-read-otherwise"),
        # 小川 康弘 as "小川康弘" at 88 (Noto Sans CJK): its space, from the ink, is put back.
        pytest.param(361, "name", None, id="kanji-name-space"),
        # フクダ ユイ as "フタダ コイ" at 88, every letter at 98 or more (VL Gothic).
        pytest.param(446, "kana", "confusable", id="kana-read-otherwise-sure"),
        # アベ as "ァベ" at 86 (Noto Serif CJK): no word starts with a small kana.
        pytest.param(472, "kana", "implausible", id="small-kana-first"),
    ],
)
def test_a_sure_misreading_on_a_fresh_form_is_right_or_flagged(
    form: int, name: str, reason: str | None, tmp_path: Path
) -> None:
    made, result = read_dev_form(form, tmp_path)
    field = result.fields[name]
    if reason is None:
        assert field.value == made.expected[name], field
    else:
        assert field.value == made.expected[name] or (
            field.needs_review and field.review_reason == reason
        ), field


@pytest.mark.skipif(DEV_FACES_MISSING, reason="the development faces are not installed")
@pytest.mark.parametrize("form", [656, 639])
def test_a_line_single_line_mode_reads_as_nothing_gets_its_second_opinion(
    form: int, tmp_path: Path
) -> None:
    """原田 陽菜 (Noto Serif CJK) and 遠藤 美穂 (Sawarabi Mincho) come back empty from both
    networks as a single line, and the fast one reads them as a line of glyphs: 陽藤 at 61,
    美策 at 89. The larger network, asked in the same mode, reads 陽菜 and 美穂: they are shown,
    and still go to staff, as the two networks differed."""
    made, result = read_dev_form(form, tmp_path)
    field = result.fields["name"]
    assert (field.value, field.needs_review, field.review_reason) == (
        made.expected["name"],
        True,
        "confusable",
    ), field


@pytest.mark.skipif(DEV_FACES_MISSING, reason="the development faces are not installed")
def test_fields_read_wrong_are_shown_right_and_still_flagged(tmp_path: Path) -> None:
    """VL Gothic, development forms 1590 and 1770: 那覇市 read 那市 (市 at 0) with 630 read 636,
    shown 沖縄県那市…; 2770 read 2776, eng reading 2770 cut on its own and 27170 enlarged;
    小川 隆 read "小川| 隆". Each is shown as written, for staff to confirm."""
    for form, names in ((1590, ("address",)), (1770, ("address", "name"))):
        made, result = read_dev_form(form, tmp_path)
        for name in names:
            field = result.fields[name]
            assert (field.value, field.needs_review) == (made.expected[name], True), (form, field)
