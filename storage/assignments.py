"""The assignment history, and the per-rep loads routing counts from it.

Loads come from one grouped query over the history: capacity and fairness are never counters
that a crash, a second replica or a midnight reset could get wrong. Each rep's day and week start
at their own local midnight, so the boundaries come in per rep (in practice, per time zone).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, case, func, insert, select
from sqlmodel import Session

from core.ports import Assignment, AssignmentMark, LoadWindow
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
        self.session.connection().execute(_ADD, row)

    def for_lead(self, lead_id: int) -> list[Assignment]:
        return [
            Assignment(r.lead_id, r.rep_id, r.tier, r.rule, r.reason, r.at, r.actor)
            for r in self.session.connection().execute(_FOR_LEAD, {"lead_id": lead_id})
        ]

    def loads(
        self,
        windows: Mapping[int, LoadWindow],
        *,
        recent_since: datetime,
        through_id: int | None = None,
    ) -> dict[int, RepLoad]:
        # Reps in one time zone share their day and week starts: one grouped query per distinct
        # window (a handful), each a statement SQLAlchemy compiles once and caches.
        by_window: dict[LoadWindow, list[int]] = {}
        for rep_id, window in windows.items():
            by_window.setdefault(window, []).append(rep_id)
        rows: list[Any] = []
        for window, rep_ids in by_window.items():
            params = {
                "rep_ids": rep_ids,
                "day_start": window.day_start,
                "week_start": window.week_start,
                "recent_since": recent_since,
                "since": min(window.week_start, recent_since),
                "through_id": through_id if through_id is not None else _NO_LIMIT,
            }
            rows.extend(self.session.connection().execute(_LOADS, params).all())
        return _loads(rows)

    def latest_id(self) -> int:
        return int(self.session.connection().execute(_LATEST_ID).scalar_one() or 0)

    def added_after(self, after_id: int) -> list[AssignmentMark]:
        rows = self.session.connection().execute(_ADDED_AFTER, {"after_id": after_id})
        return [AssignmentMark(row.id, row.rep_id, row.tier, row.at) for row in rows]


def _counted_since(name: str) -> Any:
    return func.sum(case((ASSIGNMENT.c.at >= bindparam(name, type_=UTCDateTime()), 1), else_=0))


_LOADS = (
    select(
        ASSIGNMENT.c.rep_id,
        ASSIGNMENT.c.tier,
        _counted_since("day_start"),
        _counted_since("week_start"),
        _counted_since("recent_since"),
        func.max(ASSIGNMENT.c.at),
    )
    .where(
        ASSIGNMENT.c.rep_id.in_(bindparam("rep_ids", expanding=True)),
        ASSIGNMENT.c.at >= bindparam("since", type_=UTCDateTime()),
        ASSIGNMENT.c.id <= bindparam("through_id"),
    )
    .group_by(ASSIGNMENT.c.rep_id, ASSIGNMENT.c.tier)
)
_ADD = insert(ASSIGNMENT)
_FOR_LEAD = (
    select(ASSIGNMENT).where(ASSIGNMENT.c.lead_id == bindparam("lead_id")).order_by(ASSIGNMENT.c.id)
)
_NO_LIMIT = 2**31 - 1
"""Above every id an INTEGER column can hold."""
_LATEST_ID = select(func.max(ASSIGNMENT.c.id))
_ADDED_AFTER = (
    select(ASSIGNMENT.c.id, ASSIGNMENT.c.rep_id, ASSIGNMENT.c.tier, ASSIGNMENT.c.at)
    .where(ASSIGNMENT.c.id > bindparam("after_id"))
    .order_by(ASSIGNMENT.c.id)
)


def _loads(rows: list[Any]) -> dict[int, RepLoad]:
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
