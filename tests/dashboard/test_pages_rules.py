"""Pure pieces of the staff pages: 和暦 dates, and the CSS that shows a field's crop."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from handlers.dashboard.documents import (
    CROP_PX_PER_MM,
    crop_region,
    outline_percent,
    preview_width,
    reason_text,
)
from handlers.ocr.reads import gone
from handlers.shared.wareki import era_year, period, wareki_date, wareki_datetime


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 27), "令和8年"),
        (date(2019, 5, 1), "令和元年"),
        (date(2019, 4, 30), "平成31年"),
        (date(1989, 1, 8), "平成元年"),
        (date(1989, 1, 7), "昭和64年"),
        (date(1926, 12, 25), "昭和元年"),
        (date(1926, 12, 24), "大正15年"),
        (date(1912, 7, 30), "大正元年"),
        (date(1868, 1, 25), "明治元年"),
        (date(1850, 1, 1), "1850年"),
    ],
)
def test_era_years(day: date, expected: str) -> None:
    assert era_year(day) == expected


def test_dates_show_the_western_year_beside_and_times_are_japan_time() -> None:
    assert wareki_date(date(2026, 11, 27)) == "令和8年11月27日（2026年）"
    assert wareki_date("1990-05-06") == "平成2年5月6日（1990年）"
    # 15:30 UTC on 31 December is already 1 January in Japan.
    late = datetime(2025, 12, 31, 15, 30, tzinfo=UTC)
    assert wareki_datetime(late) == "令和8年1月1日（2026年） 00:30"
    assert wareki_datetime(late.isoformat()) == "令和8年1月1日（2026年） 00:30"
    assert wareki_date(None) == "" and wareki_date("not a date") == ""


def test_a_crop_shows_its_box_with_a_margin_inside_the_page() -> None:
    assert crop_region((50, 62, 90, 12), (210, 297)) == (48, 60, 94, 16)  # 2 mm each side
    assert crop_region((0, 0, 210, 10), (210, 297)) == (0, 0, 210, 12)  # clamped at the edge
    assert crop_region((200, 290, 10, 7), (210, 297)) == (198, 288, 12, 9)
    assert outline_percent((21, 29.7, 105, 14.85), (210, 297)) == pytest.approx((10, 10, 50, 5))


def test_page_images_are_fine_enough_for_crops_at_150_dpi() -> None:
    assert pytest.approx(150) == CROP_PX_PER_MM * 25.4
    assert preview_width(None) == 1654  # A4 at 200 dpi
    assert preview_width(None) / (210 / 25.4) >= 150


@pytest.mark.parametrize(
    ("needs_review", "read", "code", "shown"),
    [
        (False, True, "low_confidence", None),
        (True, False, None, "読み取り結果がありません"),
        (True, True, None, "確認が必要です"),
        (True, True, "ink_unread", "読み取れませんでした"),
        (True, True, "implausible", "ありえない値"),
        (True, True, "confusable", "見分けにくい文字"),
        (True, True, "low_confidence", "確からしさが低い"),
        (True, True, "handwritten_text", "手書きの文章"),
        (True, True, "some_new_code", "確認が必要です"),
    ],
)
def test_flagged_fields_say_why_in_japanese(
    needs_review: bool, read: bool, code: str | None, shown: str | None
) -> None:
    text = reason_text(needs_review, read, code)
    assert text == shown if shown is None else (text is not None and shown in text)


def test_field_rows_show_corrections_over_readings_and_flag_what_is_unsure() -> None:
    from handlers.dashboard.documents import field_rows
    from schemas.forms import FormTemplate
    from schemas.ocr import DocumentResult, FieldValue
    from tests.ocr.corpus import EXAMPLES

    template = FormTemplate.model_validate_json((EXAMPLES / "juminhyo-v1.json").read_bytes())
    result = DocumentResult(
        document_id="d1",
        status="completed",
        template_id=template.id,
        fields={
            "name": FieldValue(value="山田 太郎", confidence=91.0, needs_review=False),
            "phone": FieldValue(value=None, confidence=12.0, needs_review=True),
            "copies": FieldValue(value=0, confidence=80.0, needs_review=True),
        },
        verified={"copies": 2},
    )
    rows = {row["field"].name: row for row in field_rows(template, result)}  # type: ignore[attr-defined]
    assert rows["name"]["value"] == "山田 太郎" and not rows["name"]["needs_review"]
    assert rows["phone"]["needs_review"] and rows["phone"]["value"] is None
    assert rows["copies"]["value"] == 2 and rows["copies"]["confidence"] == 100.0
    assert not rows["copies"]["needs_review"]  # corrected by staff
    assert rows["address"]["needs_review"]  # not read at all
    assert rows["name"]["crop"] == "48.00 60.00 94.00 16.00"
    # Flagged fields come first: the data-entry order is the page's DOM order.
    ordered = [row["needs_review"] for row in field_rows(template, result)]
    assert ordered == sorted(ordered, reverse=True) and ordered[0] and not ordered[-1]


def test_attachment_rows_say_where_identity_documents_open() -> None:
    from handlers.dashboard.applications import attachment_rows
    from schemas.accounts import Principal
    from schemas.applications import ApplicationState, AttachmentInfo

    state = ApplicationState(
        application_id="a1",
        org="shimin",
        procedure_id="p",
        status="submitted",
        attachments=(
            AttachmentInfo(kind="passport", content_type="image/png", size_bytes=3000),
            AttachmentInfo(kind="family_register", content_type="application/pdf", size_bytes=10),
        ),
        access_code_hash="sha256$x$y",
    )
    clerk = Principal(login="c", org="shimin", role="staff", personal_info=True)
    at_sj = attachment_rows(state, clerk, "SJ")
    assert [row["openable"] for row in at_sj] == [False, True]
    assert "MN" in str(at_sj[0]["refusal"]) and at_sj[0]["kind"] == "パスポート"
    at_mn = attachment_rows(state, clerk, "MN")
    assert [row["openable"] for row in at_mn] == [True, False]
    assert at_sj[0]["size_kb"] == 2 and at_sj[1]["size_kb"] == 1


def test_choices_are_picked_from_the_printed_options_and_checkboxes_have_one_label() -> None:
    from handlers.dashboard.documents import field_rows
    from handlers.dashboard.pages import templates
    from schemas.forms import FormTemplate
    from schemas.ocr import DocumentResult, FieldValue
    from tests.ocr.corpus import EXAMPLES

    template = FormTemplate.model_validate_json((EXAMPLES / "tegaki-v1.json").read_bytes())
    result = DocumentResult(
        document_id="d1",
        status="completed",
        template_id=template.id,
        fields={
            "applicant": FieldValue(value="代理人", confidence=90.0, needs_review=False),
            "certificates": FieldValue(
                value=["住民票", "戸籍謄本"], confidence=90, needs_review=True
            ),
            "agree": FieldValue(value=True, confidence=100.0, needs_review=False),
        },
    )
    rows = {row["field"].name: row for row in field_rows(template, result)}  # type: ignore[attr-defined]
    field = templates.env.get_template("_field.html")
    single = field.render(row=rows["applicant"])
    assert '<select id="f-applicant"' in single and "<option selected>代理人</option>" in single
    several = field.render(row=rows["certificates"])
    assert several.count('data-kind="choices"') == 3 and several.count("checked") == 2
    assert 'role="group" aria-labelledby="l-certificates"' in several
    tick = field.render(row=rows["agree"])
    assert tick.count("<label") == 1 and 'for="f-agree"' in tick
    assert "tabindex" not in single + several + tick
    assert "（手書き）" in field.render(row=rows["name"])  # `hand: true`


def test_every_review_reason_has_its_japanese_text() -> None:
    from typing import get_args

    from handlers.dashboard.documents import REVIEW_REASONS
    from schemas.ocr import ReviewReason

    assert set(get_args(ReviewReason)) <= set(REVIEW_REASONS)


def test_periods_are_told_in_their_largest_whole_unit() -> None:
    assert [period(s) for s in (5 * 86400, 36 * 3600, 90 * 60, 45, 0)] == [
        "5日",
        "36時間",
        "90分",
        "45秒",
        "無期限",
    ]
    # A city that keeps scans 7 days is told 7 days, not the default 5.
    assert "保存期間（7日）" in gone(7 * 86400) and "5日" not in gone(7 * 86400)
