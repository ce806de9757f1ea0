"""How fast leads were answered: time to first touch, breaches and who is still waiting.

Time to first touch is wall-clock time from the clock's start (the lead's arrival, `sla_started_at`)
to the first touch, whatever the SLA policy counts: it is how long the buyer waited. A
reassignment restarts the owner's clock but not this one. A lead counts as breached once a breach
fired for any of its owners, touched or not; it is still waiting while it has no touch and is
neither converted nor disqualified.

Leads are grouped by their current owner, by team and by ISO week (of the clock's start, UTC).
Percentiles interpolate linearly between the two nearest ranks (numpy's default, Excel's
PERCENTILE.INC), so the median of an even count is the mean of the middle two. Rows name leads by
id and company only; never the person, their email or phone.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from core.model import Lead
from core.sla import SlaLevel

UNASSIGNED = "unassigned"
NO_TEAM = "no team"


@dataclass(frozen=True, slots=True)
class LeadResponse:
    """One lead's response: when its clock started, when it was first touched, and how it went."""

    lead_id: int | None
    company: str | None
    tier: str | None
    owner_id: int | None
    owner: str
    team_id: int | None
    team: str
    started_at: datetime
    first_touch_at: datetime | None
    time_to_first_touch: timedelta | None
    """None while nobody has touched the lead."""
    breached: bool
    waiting: bool

    @property
    def week(self) -> str:
        """The ISO week of the clock's start in UTC, e.g. "2026-W48"."""
        return iso_week(self.started_at)

    def to_dict(self) -> dict[str, Any]:
        return {
            "lead_id": self.lead_id,
            "company": self.company,
            "tier": self.tier,
            "owner_id": self.owner_id,
            "owner": self.owner,
            "team_id": self.team_id,
            "team": self.team,
            "started_at": self.started_at.isoformat(),
            "first_touch_at": self.first_touch_at.isoformat() if self.first_touch_at else None,
            "seconds_to_first_touch": _seconds(self.time_to_first_touch),
            "breached": self.breached,
            "waiting": self.waiting,
        }


@dataclass(frozen=True, slots=True)
class ResponseStats:
    """Response figures of a group of leads: a rep's, a team's, a week's or all of them."""

    label: str
    """The rep's or team's name, or the ISO week ("2026-W48")."""
    id: int | None
    """The rep's or team's id; None for unassigned leads, leads without a team and weeks."""
    count: int
    touched: int
    median: timedelta | None
    """Median time to first touch of the touched leads; None when none was touched."""
    p90: timedelta | None
    breaches: int
    waiting: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "touched": self.touched,
            "median_seconds": _seconds(self.median),
            "p90_seconds": _seconds(self.p90),
            "breaches": self.breaches,
            "waiting": self.waiting,
        }


@dataclass(frozen=True, slots=True)
class SlaReport:
    since: datetime
    until: datetime
    leads: tuple[LeadResponse, ...]
    """Every lead whose clock started in [since, until), oldest first."""
    overall: ResponseStats
    by_rep: tuple[ResponseStats, ...]
    by_team: tuple[ResponseStats, ...]
    by_week: tuple[ResponseStats, ...]

    @property
    def breached(self) -> tuple[LeadResponse, ...]:
        return tuple(lead for lead in self.leads if lead.breached)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values; durations in seconds, times in ISO 8601 UTC."""
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "percentiles": "linear interpolation between the nearest ranks",
            "overall": self.overall.to_dict(),
            "by_rep": [
                {"rep_id": group.id, "rep": group.label, **group.to_dict()} for group in self.by_rep
            ],
            "by_team": [
                {"team_id": group.id, "team": group.label, **group.to_dict()}
                for group in self.by_team
            ],
            "by_week": [
                {
                    "week": group.label,
                    "week_start": week_start(group.label).isoformat(),
                    **group.to_dict(),
                }
                for group in self.by_week
            ],
            "leads": [lead.to_dict() for lead in self.leads],
        }


def build_sla_report(
    leads: Iterable[Lead],
    *,
    rep_names: Mapping[int, str],
    team_names: Mapping[int, str],
    since: datetime,
    until: datetime,
) -> SlaReport:
    """The report over leads whose clock started in [since, until); others are left out."""
    since, until = _utc(since, "since"), _utc(until, "until")
    if until <= since:
        raise ValueError(f"The report window ends ({until}) before it starts ({since})")
    rows = sorted(
        (
            lead_response(lead, rep_names=rep_names, team_names=team_names)
            for lead in leads
            if lead.sla_started_at is not None and since <= _utc(lead.sla_started_at) < until
        ),
        key=lambda row: (row.started_at, row.lead_id or 0),
    )
    return SlaReport(
        since=since,
        until=until,
        leads=tuple(rows),
        overall=response_stats("all leads", None, rows),
        by_rep=_grouped(rows, lambda row: (row.owner, row.owner_id), last=UNASSIGNED),
        by_team=_grouped(rows, lambda row: (row.team, row.team_id), last=NO_TEAM),
        by_week=_grouped(rows, lambda row: (row.week, None), last=None),
    )


def lead_response(
    lead: Lead, *, rep_names: Mapping[int, str], team_names: Mapping[int, str]
) -> LeadResponse:
    """One lead's row; the lead must have a clock (`sla_started_at`)."""
    if lead.sla_started_at is None:
        raise ValueError(f"Lead {lead.id} has no response clock")
    started = _utc(lead.sla_started_at)
    touched = _utc(lead.first_touch_at) if lead.first_touch_at is not None else None
    return LeadResponse(
        lead_id=lead.id,
        company=lead.company,
        tier=lead.tier,
        owner_id=lead.owner_id,
        owner=_name(lead.owner_id, rep_names, "rep", UNASSIGNED),
        team_id=lead.team_id,
        team=_name(lead.team_id, team_names, "team", NO_TEAM),
        started_at=started,
        first_touch_at=touched,
        # A touch logged before the clock started (a call the same minute) waited nothing.
        time_to_first_touch=None if touched is None else max(touched - started, timedelta(0)),
        breached=lead.sla_worst >= SlaLevel.BREACH,
        waiting=touched is None and lead.outcome is None,
    )


def response_stats(label: str, id: int | None, rows: Sequence[LeadResponse]) -> ResponseStats:
    """Counts, breaches and the median and p90 time to first touch of `rows`."""
    times = sorted(row.time_to_first_touch for row in rows if row.time_to_first_touch is not None)
    return ResponseStats(
        label=label,
        id=id,
        count=len(rows),
        touched=len(times),
        median=percentile(times, 0.5),
        p90=percentile(times, 0.9),
        breaches=sum(1 for row in rows if row.breached),
        waiting=sum(1 for row in rows if row.waiting),
    )


def percentile(values: Sequence[timedelta], fraction: float) -> timedelta | None:
    """The `fraction` quantile (0-1) by linear interpolation between the nearest ranks; None
    for no values. [1, 2, 3, 4] gives a median of 2.5 and a p90 of 3.7."""
    if not 0 <= fraction <= 1:
        raise ValueError(f"A percentile is a fraction within 0-1, not {fraction}")
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def iso_week(moment: datetime) -> str:
    """The ISO week of a moment in UTC: "2026-W48" (weeks start on Monday)."""
    year, week, _ = _utc(moment).isocalendar()
    return f"{year}-W{week:02d}"


def week_start(label: str) -> date:
    """The Monday of an ISO week label like "2026-W48"."""
    year, week = label.split("-W")
    return date.fromisocalendar(int(year), int(week), 1)


def _grouped(
    rows: Sequence[LeadResponse],
    key: Callable[[LeadResponse], tuple[str, int | None]],
    *,
    last: str | None,
) -> tuple[ResponseStats, ...]:
    """One line per group, by label (case ignored), the `last` group (nobody, no team) at the end."""
    groups: dict[tuple[str, int | None], list[LeadResponse]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)

    def order(group: tuple[str, int | None]) -> tuple[bool, str, int]:
        label, id = group
        return (id is None and label == last, label.casefold(), id or 0)

    return tuple(
        response_stats(label, id, groups[(label, id)]) for label, id in sorted(groups, key=order)
    )


def _name(id: int | None, names: Mapping[int, str], kind: str, nobody: str) -> str:
    if id is None:
        return nobody
    return names.get(id) or f"{kind} {id}"


def _seconds(span: timedelta | None) -> float | None:
    return None if span is None else span.total_seconds()


def _utc(moment: datetime, name: str = "time") -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"`{name}` must be an aware datetime (UTC)")
    return moment.astimezone(UTC)
