"""Dates as Japanese offices write them: the era year (和暦) with the Western year beside it.

Pure. Times are shown in Japan time whatever the server's zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")
# (first day, name): the eras a living resident's or a document's date can fall in.
ERAS = (
    (date(2019, 5, 1), "令和"),
    (date(1989, 1, 8), "平成"),
    (date(1926, 12, 25), "昭和"),
    (date(1912, 7, 30), "大正"),
    (date(1868, 1, 25), "明治"),
)


def era_year(day: date) -> str:
    """`令和8年` (元年 for the first year); the Western year alone before 明治."""
    for start, name in ERAS:
        if day >= start:
            number = day.year - start.year + 1
            return f"{name}{'元' if number == 1 else number}年"
    return f"{day.year}年"


def wareki_date(value: date | datetime | str | None) -> str:
    """`令和8年11月27日（2026年）`; an ISO string is read first; None or junk gives ''."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return ""
    if isinstance(value, datetime):
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(JST)
        day = value.date()
    else:
        day = value
    return f"{era_year(day)}{day.month}月{day.day}日（{day.year}年）"


def wareki_datetime(value: datetime | str | None) -> str:
    """`令和8年11月27日（2026年） 19:05`, in Japan time; an ISO string is read first."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return ""
    if value is None:
        return ""
    local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(JST)
    return f"{wareki_date(local.date())} {local:%H:%M}"
