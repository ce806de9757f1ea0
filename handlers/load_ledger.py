"""Rep loads between calls: one count of the history, then only the assignments made after it.

Counting every rep's assignments of the week for every lead costs more than routing the lead,
and the cost grows with the week's history. The ledger counts the history once (the base, as of
the newest assignment id), and each later call reads only the rows added after that id, which
in steady intake is a row or two, and adds them to the base with the same day, week and recent
windows the count uses. The history stays the only truth: nothing is counted that is not a row.

The base is counted again after `seconds`, when a rep's local day or week has moved on, when the
set of reps changes, or when the clock goes backwards. Between two counts the fairness window
slides by at most `seconds`, so a lead assigned exactly at its far edge may count a moment longer.

Only a call that has not yet written assignments of its own moves the base forward: the rows
it reads are then other transactions' committed rows. After a call's own assignment
(`advance=False`) its loads add the new rows for that call only, so a rolled-back transaction
never leaves a count behind. On PostgreSQL ids are not handed out in commit order, so a row
committed late under a lower id counts from the next recount (within `seconds`), as two
concurrent transactions there never see each other's assignments anyway.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from core.model import Rep
from core.ports import AssignmentMark, LoadWindow, UnitOfWork
from core.routing import RepLoad, RoutingPolicy
from handlers.load_windows import by_rep, rep_loads, zone_windows


@dataclass(frozen=True, slots=True)
class _Base:
    windows: dict[int, LoadWindow]
    fairness: timedelta
    at: datetime
    counted_at: float
    through_id: int
    loads: dict[int, RepLoad]

    def fits(
        self,
        windows: Mapping[int, LoadWindow],
        fairness: timedelta,
        at: datetime,
        now: float,
        seconds: float,
    ) -> bool:
        """Young enough by both clocks, for the same reps, windows and fairness window."""
        return (
            now - seconds <= self.counted_at <= now
            and self.at <= at <= self.at + timedelta(seconds=seconds)
            and self.fairness == fairness
            and (self.windows is windows or self.windows == windows)
        )


@dataclass(frozen=True, slots=True)
class _Windows:
    reps: Sequence[Rep]
    zones: frozenset[str]
    by_zone: dict[str, LoadWindow]
    windows: dict[int, LoadWindow]


class LoadLedger:
    """Loads of the active reps: a recount every `seconds`, the newest rows added in between."""

    def __init__(self, seconds: float, monotonic: Callable[[], float]) -> None:
        self.seconds, self.monotonic = seconds, monotonic
        self._lock = threading.Lock()
        self._base: _Base | None = None
        self._windows: _Windows | None = None

    def loads(
        self,
        uow: UnitOfWork,
        reps: Sequence[Rep],
        policy: RoutingPolicy,
        at: datetime,
        *,
        advance: bool = True,
    ) -> dict[int, RepLoad]:
        """The reps' loads as of `at`; `advance=False` once the caller has written assignments."""
        fairness = timedelta(days=policy.fairness_days)
        now = self.monotonic()
        with self._lock:
            windows = self._windows_of(reps, at)
            base = self._base
            stale = base is None or not base.fits(windows, fairness, at, now, self.seconds)
            if stale or base is None:
                if not advance:  # a count now would include this call's own uncommitted rows
                    return rep_loads(uow, reps, policy, at)
                base = self._recount(uow, windows, fairness, at, now)
            marks = uow.assignments.added_after(base.through_id)
            if not marks:
                return base.loads
            loads = with_marks(base.loads, marks, windows, at - fairness)
            if advance:
                self._base = replace(base, through_id=marks[-1].id, loads=loads)
            return loads

    def _windows_of(self, reps: Sequence[Rep], at: datetime) -> dict[int, LoadWindow]:
        """`rep_windows(reps, at)`: the same dict again while the reps and their zones' days stand.

        Every lead asks, for every rep; usually nothing has changed since the last lead, and
        the base can then see that by identity instead of comparing every rep's window.
        """
        known = self._windows
        if (
            known is not None
            and known.reps is reps
            and zone_windows(known.zones, at) == known.by_zone
        ):
            return known.windows
        zones = frozenset(rep.time_zone for rep in reps)
        by_zone = zone_windows(zones, at)
        windows = by_rep(reps, by_zone)
        self._windows = _Windows(reps, zones, by_zone, windows)
        return windows

    def _recount(
        self,
        uow: UnitOfWork,
        windows: dict[int, LoadWindow],
        fairness: timedelta,
        at: datetime,
        now: float,
    ) -> _Base:
        through_id = uow.assignments.latest_id()  # first: the count stops at the same row
        counted = uow.assignments.loads(windows, recent_since=at - fairness, through_id=through_id)
        self._base = _Base(windows, fairness, at, now, through_id, counted)
        return self._base


def with_marks(
    loads: Mapping[int, RepLoad],
    marks: Iterable[AssignmentMark],
    windows: Mapping[int, LoadWindow],
    recent_since: datetime,
) -> dict[int, RepLoad]:
    """`loads` with these rows of the history counted as the grouped count would count them."""
    updated = dict(loads)
    for mark in marks:
        window = windows.get(mark.rep_id)
        if window is None or mark.at < min(window.week_start, recent_since):
            continue
        load = updated.get(mark.rep_id, RepLoad())
        today, week = int(mark.at >= window.day_start), int(mark.at >= window.week_start)
        last = load.last_assigned_at
        updated[mark.rep_id] = RepLoad(
            today=load.today + today,
            this_week=load.this_week + week,
            recent=load.recent + int(mark.at >= recent_since),
            tier_today=_plus(load.tier_today, mark.tier, today),
            tier_week=_plus(load.tier_week, mark.tier, week),
            last_assigned_at=mark.at if last is None or mark.at > last else last,
        )
    return updated


def _plus(counts: Mapping[str, int], tier: str, n: int) -> dict[str, int]:
    return {**counts, tier: counts.get(tier, 0) + n}
