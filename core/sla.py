"""Response clocks for leads: when the owner is reminded, when the lead is breached and escalated.

A clock starts when a lead arrives. Its target depends on the lead's tier, and by default only the
owner's working time counts: their working days and hours in their own time zone, minus their
holidays. Out of office does not pause the clock; a lead whose owner is away still needs an answer,
and the breach and escalation are what get it to someone who is there.

Working windows are laid out on the owner's local wall clock and turned into UTC one day at a
time, so daylight saving changes come out in real time. A window runs from the first moment the
clock shows `work_start` to the last moment it shows a time before `work_end`: on the night the
clocks skip an hour a 01:00-04:00 window holds two real hours, on the night they repeat one it
holds four, just as a shift worker on the clock would see it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import IntEnum

from core.model import Rep
from core.schedule import rep_zone

MAX_IDLE_DAYS = 400
"""How many days in a row without working time `add_working_time` walks before giving up."""

_TICK = timedelta(microseconds=1)
_DAY = timedelta(days=1)


class SlaLevel(IntEnum):
    REMINDER = 1
    BREACH = 2
    ESCALATION = 3


@dataclass(frozen=True, slots=True)
class SlaTarget:
    minutes: int = 0
    business_days: int = 0
    """A business day is one working day of the owner's working time (work_end - work_start) when
    working hours count, 24 hours otherwise."""

    def as_duration(self, business_day: timedelta) -> timedelta:
        """The target as counted time, given how long one business day is."""
        return timedelta(minutes=self.minutes) + self.business_days * business_day


def _default_targets() -> dict[str, SlaTarget]:
    return {
        "hot": SlaTarget(minutes=5),
        "warm": SlaTarget(minutes=60),
        "cold": SlaTarget(business_days=1),
    }


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    targets: Mapping[str, SlaTarget] = field(default_factory=_default_targets)
    """Keyed by tier name: "hot", "warm", "cold"."""
    reminder_at: float = 0.8
    """The owner's reminder, as a fraction of the target."""
    escalate_at: float = 3.0
    """The manager's escalation, as a multiple of the target."""
    working_hours: bool = True
    """Count only the owner's working time; off, every wall-clock minute counts."""
    reassign_on_escalation: bool = False

    def __post_init__(self) -> None:
        if not self.targets:
            raise ValueError("An SLA policy needs a target for at least one tier (hot, warm, cold)")
        for tier, target in self.targets.items():
            if target.minutes < 0 or target.business_days < 0:
                raise ValueError(f"The SLA target for '{tier}' cannot be negative")
            if target.minutes == 0 and target.business_days == 0:
                raise ValueError(f"The SLA target for '{tier}' must be longer than zero")
        if not 0 < self.reminder_at < 1:
            raise ValueError(
                f"reminder_at is a fraction of the target between 0 and 1 (got {self.reminder_at})"
            )
        if not (self.escalate_at > 1 and math.isfinite(self.escalate_at)):
            raise ValueError(
                f"escalate_at is a multiple of the target above 1 (got {self.escalate_at}), "
                "so the escalation comes after the breach"
            )


@dataclass(frozen=True, slots=True)
class SlaClock:
    tier: str
    started_at: datetime
    target: timedelta
    """The target as a duration of counted time."""
    reminder_at: datetime
    breach_at: datetime
    escalation_at: datetime

    def due_at(self, level: SlaLevel) -> datetime:
        """The UTC instant when `level` is due."""
        if level is SlaLevel.REMINDER:
            return self.reminder_at
        if level is SlaLevel.BREACH:
            return self.breach_at
        return self.escalation_at

    def next_level(self, fired: int) -> SlaLevel | None:
        """The level after `fired` (the highest already fired, 0 for none); None when all fired."""
        _check_fired(fired)
        return SlaLevel(fired + 1) if fired < SlaLevel.ESCALATION else None

    def next_at(self, fired: int) -> datetime | None:
        """When the next unfired level is due; None when all have fired."""
        level = self.next_level(fired)
        return None if level is None else self.due_at(level)

    def levels_due(self, fired: int, at: datetime) -> list[SlaLevel]:
        """Unfired levels whose time has come, in order; the reminder is dropped when the breach is
        due too (a late sweep must not remind after the fact)."""
        _check_fired(fired)
        due = [level for level in SlaLevel if level > fired and self.due_at(level) <= at]
        if SlaLevel.BREACH in due and SlaLevel.REMINDER in due:
            due.remove(SlaLevel.REMINDER)
        return due


def _check_fired(fired: int) -> None:
    if fired < 0:
        raise ValueError(f"fired is the highest level already fired, 0 for none (got {fired})")


def start_clock(started_at: datetime, tier: str, policy: SlaPolicy, owner: Rep | None) -> SlaClock:
    """The lead's response clock; with working hours on and an owner, deadlines fall in the owner's
    working time. No owner (queued lead) or working_hours off: wall-clock time."""
    started_at = _as_utc(started_at, "started_at")
    target_spec = policy.targets.get(tier)
    if target_spec is None:
        known = ", ".join(sorted(policy.targets))
        raise ValueError(f"The SLA policy has no target for tier '{tier}' (it has: {known})")
    counted_rep = owner if policy.working_hours else None
    business_day = _DAY if counted_rep is None else working_day_length(counted_rep)
    target = target_spec.as_duration(business_day)

    def after(span: timedelta) -> datetime:
        if counted_rep is None:
            return started_at + span
        return add_working_time(started_at, span, counted_rep)

    return SlaClock(
        tier=tier,
        started_at=started_at,
        target=target,
        reminder_at=after(target * policy.reminder_at),
        breach_at=after(target),
        escalation_at=after(target * policy.escalate_at),
    )


def elapsed(clock: SlaClock, at: datetime, policy: SlaPolicy, owner: Rep | None) -> timedelta:
    """Counted time since the clock started, as the policy counts it (for 'breached after 7 min')."""
    at = _as_utc(at, "at")
    if policy.working_hours and owner is not None:
        return working_time_between(clock.started_at, at, owner)
    return max(at - clock.started_at, timedelta(0))


def working_day_length(rep: Rep) -> timedelta:
    """One business day of the rep: work_end - work_start on the wall clock, to midnight when the
    end is at or before the start."""
    opens = datetime.combine(date.min, rep.work_start)
    if rep.work_end > rep.work_start:
        return datetime.combine(date.min, rep.work_end) - opens
    return datetime.combine(date.min + _DAY, time(0)) - opens


def add_working_time(start: datetime, duration: timedelta, rep: Rep) -> datetime:
    """The instant when `duration` of the rep's working time has passed after `start`."""
    start = _as_utc(start, "start")
    if duration < timedelta(0):
        raise ValueError(f"Working time to add cannot be negative (got {duration})")
    if duration == timedelta(0):
        return start
    remaining = duration
    cursor = start
    for opens, closes in _windows_from(rep, start):
        opens = max(opens, cursor)
        if closes <= opens:
            continue
        if remaining <= closes - opens:
            return opens + remaining
        remaining -= closes - opens
        cursor = closes
    raise AssertionError("the window walk only ends by raising")


def working_time_between(start: datetime, end: datetime, rep: Rep) -> timedelta:
    """How much of the rep's working time lies between two instants (0 when end <= start)."""
    start, end = _as_utc(start, "start"), _as_utc(end, "end")
    if end <= start:
        return timedelta(0)
    zone = rep_zone(rep.time_zone)
    day = start.astimezone(zone).date() - _DAY
    last = end.astimezone(zone).date() + _DAY
    total = timedelta(0)
    cursor = start
    while day <= last:
        window = _window_on(day, rep, zone)
        day += _DAY
        if window is None:
            continue
        opens, closes = max(window[0], cursor), min(window[1], end)
        if closes > opens:
            total += closes - opens
        cursor = max(cursor, window[1])
    return total


def describe_duration(span: timedelta) -> str:
    """Short words for chat: '45 s', '7 min', '1 h 5 min', '2 d 3 h'.

    Rounded down, since 'breached after 7 min' should not claim a minute that has not passed;
    a day here is 24 hours of whatever was counted.
    """
    if span < timedelta(0):
        return "-" + describe_duration(-span)
    seconds = int(span.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, hours, days = seconds // 60 % 60, seconds // 3600 % 24, seconds // 86400
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def _windows_from(rep: Rep, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The rep's working windows in UTC, day by day from around `start`, without end.

    Raises ValueError when no working time turns up for MAX_IDLE_DAYS days in a row, so a rep
    without working days (or with every one of them a holiday) cannot hang a deadline.
    """
    if not rep.working_days:
        raise ValueError(f"{rep.name} has no working days, so no working time ever passes")
    zone = rep_zone(rep.time_zone)
    # The day before too: in a zone whose clock goes back over midnight, it can end after `start`.
    day = start.astimezone(zone).date() - _DAY
    idle = 0
    while idle < MAX_IDLE_DAYS:
        window = _window_on(day, rep, zone)
        day += _DAY
        if window is None or window[1] <= window[0]:
            idle += 1
            continue
        idle = 0
        yield window
    raise ValueError(
        f"{rep.name} has no working time in {MAX_IDLE_DAYS} days after {day - _DAY * idle}; "
        "check their working days and holidays"
    )


def _window_on(day: date, rep: Rep, zone: tzinfo) -> tuple[datetime, datetime] | None:
    """The rep's working window on a local date, in UTC; None on a day off or a holiday."""
    if day.weekday() not in rep.working_days or day in rep.holidays:
        return None
    opens = datetime.combine(day, rep.work_start)
    if rep.work_end > rep.work_start:
        closes = datetime.combine(day, rep.work_end)
    else:
        closes = datetime.combine(day + _DAY, time(0))
    return _first_showing(opens, zone), _last_before(closes, zone)


def _first_showing(wall: datetime, zone: tzinfo) -> datetime:
    """The first instant (UTC) at which the local clock shows `wall` or later."""
    early = _to_utc(wall, zone, fold=0)
    if _shown(early, zone) == wall:
        return early  # of a time that repeats, fold 0 is the first showing
    return _clock_jump(_to_utc(wall, zone, fold=1), early, zone)


def _last_before(wall: datetime, zone: tzinfo) -> datetime:
    """The instant (UTC) after which the local clock no longer shows a time before `wall`."""
    early, late = _to_utc(wall, zone, fold=0), _to_utc(wall, zone, fold=1)
    if _shown(early, zone) != wall:
        return _clock_jump(late, early, zone)
    if late != early and _shown(late - _TICK, zone) < wall:
        return late  # the clock went back over `wall`: the times just before it come round again
    return early


def _clock_jump(before: datetime, after: datetime, zone: tzinfo) -> datetime:
    """The instant in (before, after] at which the zone's UTC offset changes."""
    offset = before.astimezone(zone).utcoffset()
    while after - before > _TICK:
        middle = before + (after - before) / 2
        if middle.astimezone(zone).utcoffset() == offset:
            before = middle
        else:
            after = middle
    return after


def _to_utc(wall: datetime, zone: tzinfo, fold: int) -> datetime:
    return wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)


def _shown(instant: datetime, zone: tzinfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _as_utc(at: datetime, name: str) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"`{name}` must be an aware datetime (UTC)")
    return at.astimezone(UTC)
