"""Dates as Japanese offices write them: the era year (和暦) with the Western year beside it,
and lengths of time as they write them (5日, 12時間).

Pure. Times are shown in Japan time whatever the server's zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")


@dataclass(frozen=True)
class Era:
    start: date
    end: date | None  # the last day written in the era; None: the current era


# The eras a living resident's or a document's date can fall in, oldest first. The era changed
# on the day the emperor died (1912-07-30, 1926-12-25) and records write those days in either
# era, so a date read is accepted in both; a date shown is written in the new one.
ERAS: dict[str, Era] = {
    "明治": Era(date(1868, 1, 25), date(1912, 7, 30)),
    "大正": Era(date(1912, 7, 30), date(1926, 12, 25)),
    "昭和": Era(date(1926, 12, 25), date(1989, 1, 7)),
    "平成": Era(date(1989, 1, 8), date(2019, 4, 30)),
    "令和": Era(date(2019, 5, 1), None),
}


def era_year(day: date) -> str:
    """`令和8年` (元年 for the first year); the Western year alone before 明治."""
    for name, era in reversed(ERAS.items()):
        if day >= era.start:
            number = day.year - era.start.year + 1
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


def period(seconds: float) -> str:
    """A length of time in its largest whole unit: 5日, 36時間, 90分; 0 or less: 無期限."""
    if seconds <= 0:
        return "無期限"
    for unit, size in (("日", 86400), ("時間", 3600), ("分", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}秒"
