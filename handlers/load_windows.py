"""How many leads each rep already has today, this week and lately: routing's capacity and fairness.

A rep's day and week start at their own local midnight and Monday, so "20 a day" means the rep's
day, not the server's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time, timedelta

from core.model import Rep
from core.ports import LoadWindow, UnitOfWork
from core.routing import RepLoad, RoutingPolicy
from core.schedule import rep_zone


def load_window(rep_zone_time: datetime) -> LoadWindow:
    """The UTC starts of the local day and week that `rep_zone_time` (a local time) falls in."""
    zone = rep_zone_time.tzinfo
    day = rep_zone_time.date()
    monday = day - timedelta(days=day.weekday())
    day_start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    week_start = datetime.combine(monday, time(0), tzinfo=zone).astimezone(UTC)
    return LoadWindow(day_start, week_start)


def rep_loads(
    uow: UnitOfWork, reps: Sequence[Rep], policy: RoutingPolicy, at: datetime
) -> dict[int, RepLoad]:
    """Loads of these reps from the assignment history, in one query per time zone."""
    windows = rep_windows(reps, at)
    return uow.assignments.loads(windows, recent_since=at - timedelta(days=policy.fairness_days))


def rep_windows(reps: Sequence[Rep], at: datetime) -> dict[int, LoadWindow]:
    """Each rep's local day and week as of `at` (worked out once per time zone)."""
    return by_rep(reps, zone_windows({rep.time_zone for rep in reps}, at))


def by_rep(reps: Sequence[Rep], by_zone: dict[str, LoadWindow]) -> dict[int, LoadWindow]:
    """Each rep's window, from the windows of their time zones."""
    return {rep.id: by_zone[rep.time_zone] for rep in reps if rep.id is not None}


def zone_windows(zones: Iterable[str], at: datetime) -> dict[str, LoadWindow]:
    """The local day and week of each time zone as of `at`."""
    if at.tzinfo is None:
        raise ValueError("`at` must be an aware datetime (UTC)")
    return {zone: load_window(at.astimezone(rep_zone(zone))) for zone in zones}
