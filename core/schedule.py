"""When a rep's morning digest is due: their working day, in their time zone.

The digest goes out at the start of the rep's working day (`Rep.work_start`, 08:00 unless set
otherwise) in the rep's own time zone. A digest that missed its moment (the app was down) still
goes out later the same working day, but never after `work_end`: a morning list in the evening
helps nobody. Times are compared on the local wall clock, so daylight saving changes need no
special case: on a day the clocks skip `work_start`, the digest is due from the first local time
after it; on a day a local hour repeats, the outbox's unique key keeps it to one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.model import Rep


def rep_zone(name: str) -> tzinfo:
    """The rep's time zone; an unknown or empty name falls back to UTC (see `zone_is_known`).

    A typo in one rep's settings should not cost them their digest, so it goes out on UTC hours
    instead, and the caller counts such reps so someone can fix the setting.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def zone_is_known(name: str) -> bool:
    """True when `name` is an IANA time zone this machine knows, such as Europe/Berlin."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def local_now(rep: Rep, at: datetime) -> datetime:
    """`at` on the rep's wall clock."""
    if at.tzinfo is None:
        raise ValueError("`at` must be an aware datetime (UTC)")
    return at.astimezone(rep_zone(rep.time_zone))


def digest_due_date(rep: Rep, at: datetime) -> date | None:
    """The rep's local date whose digest is due at `at`, or None when none is due now."""
    local = local_now(rep, at)
    today = local.date()
    if not rep.active or local.weekday() not in rep.working_days or today in rep.holidays:
        return None
    if is_out_of_office(rep, at):
        return None
    return today if within_working_hours(local.time(), rep.work_start, rep.work_end) else None


def is_out_of_office(rep: Rep, at: datetime) -> bool:
    """True while the rep's out-of-office lasts; a naive end time is read as UTC."""
    until = rep.out_of_office_until
    if until is None:
        return False
    if until.tzinfo is None:
        until = until.replace(tzinfo=UTC)
    return at < until


def within_working_hours(wall_clock: time, start: time, end: time) -> bool:
    """`start <= wall_clock < end`; an `end` at or before `start` means the day runs to midnight."""
    if wall_clock < start:
        return False
    return end <= start or wall_clock < end
