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
