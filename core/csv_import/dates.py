"""Dates and times as CRMs export them, returned as `date` or timezone-aware UTC `datetime`.

Recognised: ISO 8601 (`2024-01-05`, `2024-01-05T14:30:00Z`, `2024-01-05 14:30+02:00`),
`2024/01/05`, numeric day/month orders (`01/05/2024`, `05.01.2024`, `5-1-24`), month names
(`Jan 5, 2024`, `5 January 2024`, `05-Jan-2024`), each optionally followed by a time
(`14:30`, `2:30 PM`, `14:30:00 UTC`, `14:30 +0100`). A time without a zone is taken as UTC.

Whether `01/05/2024` is 1 May or 5 January is decided per column, not per value (see
`infer_day_first`), because one export uses one order throughout.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            "jan january",
            "feb february",
            "mar march",
            "apr april",
            "may",
            "jun june",
            "jul july",
            "aug august",
            "sep sept september",
            "oct october",
            "nov november",
            "dec december",
        ),
        start=1,
    )
    for name in names.split()
}
_SPLIT = re.compile(r"^(?P<date>.+?)(?:(?:\s*,\s*|\s+|T)(?P<time>\d{1,2}:\d{2}.*))?$")
_YMD = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})$")
_MONTH_FIRST = re.compile(r"^([A-Za-z]{3,9})\.?[\s-]+(\d{1,2})(?:st|nd|rd|th)?,?[\s-]+(\d{4})$")
_DAY_FIRST = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s-]+([A-Za-z]{3,9})\.?,?[\s-]+(\d{4}|\d{2})$")
_TIME = re.compile(
    r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?\s*([AaPp]\.?[Mm]\.?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2}|[+-]\d{2})?$"
)
_SEPARATOR_DEFAULT_DAY_FIRST = {"/": False, ".": True, "-": True}


@dataclass(frozen=True, slots=True)
class DateOrder:
    """How a column writes numeric dates: None = not yet known, use the separator's convention."""

    day_first: bool | None = None


def infer_day_first(values: Iterable[str]) -> bool | None:
    """True when some value's first number is over 12, False when only a second one is, else None.

    `/` without evidence is read month-first (US CRM exports), `.` and `-` day-first.
    """
    month_first_seen = False
    for value in values:
        match = _NUMERIC.match(_split(value.strip())[0])
        if not match:
            continue
        if int(match.group(1)) > 12:
            return True
        if int(match.group(3)) > 12:
            month_first_seen = True
    return False if month_first_seen else None


def parse_date(text: str | None, order: DateOrder = DateOrder()) -> date | None:
    """The calendar date written in the text (a time, if any, is ignored); None when blank."""
    if text is None or not text.strip():
        return None
    return _parse_day(_split(text.strip())[0], text.strip(), order)


def parse_datetime(text: str | None, order: DateOrder = DateOrder()) -> datetime | None:
    """The moment written in the text, in UTC; a bare date is midnight UTC; None when blank."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    iso = _iso(value)
    if iso is not None:
        return iso
    day_text, time_text = _split(value)
    day = _parse_day(day_text, value, order)
    if time_text is None:
        return datetime.combine(day, time(0), tzinfo=UTC)
    clock, zone = _parse_time(time_text, value)
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def _iso(value: str) -> datetime | None:
    if not re.match(r"^\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _split(value: str) -> tuple[str, str | None]:
    match = _SPLIT.match(value)
    if not match:
        return value, None
    return match.group("date").strip().rstrip(","), match.group("time")


def _parse_day(day_text: str, original: str, order: DateOrder) -> date:
    try:
        return _day(day_text, order)
    except ValueError:
        pass
    if _NUMERIC.match(day_text) and order.day_first is not None:
        written = "DD/MM/YYYY (day first)" if order.day_first else "MM/DD/YYYY (month first)"
        raise ValueError(
            f"'{original}' is not a date in this column's order, {written}, "
            "which other rows of the column show"
        )
    raise ValueError(f"'{original}' is not a date; write it as YYYY-MM-DD, e.g. 2024-01-31")


def _day(text: str, order: DateOrder) -> date:
    if match := _YMD.match(text):
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    if match := _NUMERIC.match(text):
        first, separator, second, year = match.groups()
        day_first = order.day_first
        if day_first is None:
            day_first = _SEPARATOR_DEFAULT_DAY_FIRST[separator]
        day, month = (first, second) if day_first else (second, first)
        return date(_year(year), int(month), int(day))
    if match := _MONTH_FIRST.match(text):
        return date(int(match.group(3)), _month(match.group(1)), int(match.group(2)))
    if match := _DAY_FIRST.match(text):
        return date(_year(match.group(3)), _month(match.group(2)), int(match.group(1)))
    raise ValueError(text)


def _year(text: str) -> int:
    return int(text) if len(text) == 4 else 2000 + int(text)


def _month(name: str) -> int:
    month = _MONTHS.get(name.lower())
    if month is None:
        raise ValueError(name)
    return month


def _parse_time(text: str, original: str) -> tuple[time, timezone]:
    match = _TIME.match(text.strip())
    if not match:
        raise ValueError(f"'{original}' has an unreadable time '{text.strip()}'; use HH:MM")
    hour, minute, second, fraction, meridiem, zone = match.groups()
    hours = int(hour)
    if meridiem:
        if not 1 <= hours <= 12:
            raise ValueError(f"'{original}' has an hour of {hours} with {meridiem}")
        hours = hours % 12 + (12 if meridiem[0].lower() == "p" else 0)
    micro = int((fraction or "0").ljust(6, "0"))
    try:
        clock = time(hours, int(minute), int(second or 0), micro)
    except ValueError as error:
        raise ValueError(f"'{original}' is not a valid time: {error}") from error
    return clock, _zone(zone)


def _zone(text: str | None) -> timezone:
    if text is None or text in ("Z", "UTC", "GMT"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
    return timezone(sign * timedelta(minutes=minutes))
