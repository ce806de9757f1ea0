"""The assignment history, and the per-rep loads routing counts from it.

Loads come from one grouped query over the history: capacity and fairness are never counters
that a crash, a second replica or a midnight reset could get wrong. Each rep's day and week start
at their own local midnight, so the boundaries come in per rep, as a small VALUES table.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Integer, Table, case, column, func, insert, select, values
from sqlmodel import Session

from core.ports import Assignment, LoadWindow
from core.routing_rules import RepLoad
from storage.tables import LeadAssignmentRow
from storage.types import UTCDateTime

ASSIGNMENT: Table = LeadAssignmentRow.__table__  # type: ignore[attr-defined]


class SqlAssignmentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, assignment: Assignment) -> None:
        row = {
            "lead_id": assignment.lead_id,
            "rep_id": assignment.rep_id,
            "tier": assignment.tier,
            "rule": assignment.rule,
            "reason": assignment.reason,
            "at": assignment.at,
            "actor": assignment.actor,
        }
        self.session.connection().execute(insert(ASSIGNMENT).values(row))

    def for_lead(self, lead_id: int) -> list[Assignment]:
        query = select(ASSIGNMENT).where(ASSIGNMENT.c.lead_id == lead_id).order_by(ASSIGNMENT.c.id)
        return [
            Assignment(r.lead_id, r.rep_id, r.tier, r.rule, r.reason, r.at, r.actor)
            for r in self.session.connection().execute(query)
        ]

    def loads(
        self, windows: Mapping[int, LoadWindow], *, recent_since: datetime
    ) -> dict[int, RepLoad]:
        if not windows:
            return {}
        bounds = (
            values(
                column("rep_id", Integer),
                column("day_start", UTCDateTime()),
                column("week_start", UTCDateTime()),
                name="bounds",
            )
            .data([(rep_id, w.day_start, w.week_start) for rep_id, w in windows.items()])
            .cte("bounds")
        )
        since = min([recent_since, *(w.week_start for w in windows.values())])
        at = ASSIGNMENT.c.at
        query = (
            select(
                ASSIGNMENT.c.rep_id,
                ASSIGNMENT.c.tier,
                func.sum(case((at >= bounds.c.day_start, 1), else_=0)),
                func.sum(case((at >= bounds.c.week_start, 1), else_=0)),
                func.sum(case((at >= recent_since, 1), else_=0)),
                func.max(at),
            )
            .join(bounds, bounds.c.rep_id == ASSIGNMENT.c.rep_id)
            .where(at >= since)
            .group_by(ASSIGNMENT.c.rep_id, ASSIGNMENT.c.tier)
        )
        return _loads(self.session.connection().execute(query).all())


def _loads(rows: list[tuple[int, str, int, int, int, datetime | None]]) -> dict[int, RepLoad]:
    parts: dict[int, dict[str, tuple[int, int, int]]] = {}
    latest: dict[int, datetime] = {}
    for rep_id, tier, day, week, recent, last in rows:
        parts.setdefault(rep_id, {})[tier] = (int(day or 0), int(week or 0), int(recent or 0))
        if last is not None and (rep_id not in latest or last > latest[rep_id]):
            latest[rep_id] = last
    return {
        rep_id: RepLoad(
            today=sum(day for day, _, _ in by_tier.values()),
            this_week=sum(week for _, week, _ in by_tier.values()),
            recent=sum(recent for _, _, recent in by_tier.values()),
            tier_today={tier: day for tier, (day, _, _) in by_tier.items()},
            tier_week={tier: week for tier, (_, week, _) in by_tier.items()},
            last_assigned_at=latest.get(rep_id),
        )
        for rep_id, by_tier in parts.items()
    }
