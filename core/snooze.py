"""When a snoozed item comes back, in the rep's own time: an hour, tomorrow morning, next week."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from core.commands import SnoozeFor
from core.model import Rep
from core.schedule import local_now, rep_zone


def snooze_until(rep: Rep, choice: SnoozeFor, at: datetime) -> datetime:
    """The moment the item reappears; mornings are the rep's start of work, local time."""
    if choice is SnoozeFor.HOUR:
        return at + timedelta(hours=1)
    today = local_now(rep, at).date()
    if choice is SnoozeFor.TOMORROW:
        return start_of_work(rep, today + timedelta(days=1))
    monday = today + timedelta(days=7 - today.weekday())
    return start_of_work(rep, _first_working_day(rep, monday))


def end_of_local_day(rep: Rep, at: datetime) -> datetime:
    """Midnight after `at` in the rep's zone: a done item stays off the list until then."""
    tomorrow = local_now(rep, at).date() + timedelta(days=1)
    return datetime.combine(tomorrow, datetime.min.time(), rep_zone(rep.time_zone))


def start_of_work(rep: Rep, day: date) -> datetime:
    return datetime.combine(day, rep.work_start, rep_zone(rep.time_zone))


def _first_working_day(rep: Rep, start: date) -> date:
    for offset in range(7):
        day = start + timedelta(days=offset)
        if day.weekday() in rep.working_days and day not in rep.holidays:
            return day
    return start
