"""Pure pieces of the staff pages: 和暦 dates, and the CSS that shows a field's crop."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from handlers.dashboard.documents import crop_style
from handlers.dashboard.wareki import era_year, wareki_date, wareki_datetime


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


def test_a_crop_shows_its_box_with_a_margin() -> None:
    style = crop_style((50, 62, 90, 12), (210, 297))
    numbers = [float(n) for n in re.findall(r"[\d.]+", style)]
    ratio_w, ratio_h, size, pos_x, pos_y = numbers
    assert (ratio_w, ratio_h) == (94.0, 16.0)  # 2 mm on each side
    assert size == pytest.approx(210 / 94 * 100, abs=0.01)
    assert pos_x == pytest.approx(48 / (210 - 94) * 100, abs=0.01)
    assert pos_y == pytest.approx(60 / (297 - 16) * 100, abs=0.01)
    # A box at the page's edge stays inside the page.
    edge = crop_style((0, 0, 210, 10), (210, 297))
    assert "aspect-ratio: 210.00 / 12.00" in edge and "0.00% 0.00%" in edge


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
    assert str(rows["name"]["crop"]).startswith("aspect-ratio")


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
