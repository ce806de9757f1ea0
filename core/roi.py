"""The weekly ROI report: what a team's actions from the feed led to, this period and the last.

Per period (the last `weeks` weeks before `now`, and the same span before it): the actions done
from the ranked lists, the deals that advanced or were won within 14 days after a done action
(core.action_outcomes), the amounts those deals carry, grouped by currency and never added
across currencies, and the drafts approved as written, approved after an edit or rejected. Deals
acted on in the last 14 days may still move, so their figures grow until the window closes.
The response-time trend is the median time to first touch per ISO week (core.sla_report).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.action_outcomes import ActionOutcome, ActionRecord, action_outcomes
from core.drafts import DraftDecision
from core.model import Deal, Lead, StageChange
from core.sla_report import build_sla_report
from core.stages import Pipeline

WEEK = timedelta(days=7)
DRAFT_OUTCOMES = ("approved", "edited", "rejected")


@dataclass(frozen=True, slots=True)
class Money:
    currency: str
    amount: float


@dataclass(frozen=True, slots=True)
class RoiPeriod:
    since: datetime
    until: datetime
    actions_done: int
    deals_moved: int
    """Distinct deals that advanced or were won within 14 days after a done action."""
    deals_won: int
    moved_value: tuple[Money, ...]
    """Amounts of the moved deals, one total per currency."""
    won_value: tuple[Money, ...]
    drafts: Mapping[str, int]
    """Decisions by outcome: approved (as written), edited, rejected."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "actions_done": self.actions_done,
            "deals_moved": self.deals_moved,
            "deals_won": self.deals_won,
            "moved_value": [{"currency": m.currency, "amount": m.amount} for m in self.moved_value],
            "won_value": [{"currency": m.currency, "amount": m.amount} for m in self.won_value],
            "drafts": dict(self.drafts),
        }


@dataclass(frozen=True, slots=True)
class WeekResponse:
    """Median time to first touch of the team's leads whose clock started in one ISO week."""

    week: str
    leads: int
    touched: int
    median: timedelta | None

    def to_dict(self) -> dict[str, Any]:
        median = None if self.median is None else self.median.total_seconds()
        return {
            "week": self.week,
            "leads": self.leads,
            "touched": self.touched,
            "median_seconds": median,
        }


@dataclass(frozen=True, slots=True)
class RoiReport:
    scope: str
    """Whose figures: "Ana Lopez's team", "team Americas" or "everyone"."""
    rep_ids: tuple[int, ...]
    now: datetime
    weeks: int
    current: RoiPeriod
    previous: RoiPeriod
    response: tuple[WeekResponse, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "rep_ids": list(self.rep_ids),
            "now": self.now.isoformat(),
            "weeks": self.weeks,
            "outcome_window_days": 14,
            "current": self.current.to_dict(),
            "previous": self.previous.to_dict(),
            "response_by_week": [week.to_dict() for week in self.response],
        }


def by_currency(deals: Iterable[Deal]) -> tuple[Money, ...]:
    """Each currency's total of the deals' amounts (deals without an amount add nothing)."""
    totals: dict[str, float] = {}
    for deal in deals:
        if deal.amount is not None:
            totals[deal.currency] = totals.get(deal.currency, 0.0) + deal.amount
    return tuple(Money(currency, round(totals[currency], 2)) for currency in sorted(totals))


def roi_period(
    since: datetime,
    until: datetime,
    records: Sequence[ActionRecord],
    outcomes: Sequence[ActionOutcome],
    decisions: Sequence[DraftDecision],
) -> RoiPeriod:
    """The figures of one period from the team's actions, their outcomes and draft decisions."""

    def done_inside(record: ActionRecord) -> bool:
        return record.done and record.status_at is not None and since <= record.status_at < until

    moved: dict[int, Deal | None] = {}
    won: dict[int, Deal | None] = {}
    for outcome in outcomes:
        if done_inside(outcome.action) and outcome.moved:
            moved[outcome.action.subject_id] = outcome.deal
            if outcome.won:
                won[outcome.action.subject_id] = outcome.deal
    drafts = {name: 0 for name in DRAFT_OUTCOMES}
    for decision in decisions:
        if since <= decision.decided_at < until and decision.outcome in drafts:
            drafts[decision.outcome] += 1
    return RoiPeriod(
        since=since,
        until=until,
        actions_done=sum(1 for record in records if done_inside(record)),
        deals_moved=len(moved),
        deals_won=len(won),
        moved_value=by_currency(d for d in moved.values() if d is not None),
        won_value=by_currency(d for d in won.values() if d is not None),
        drafts=drafts,
    )


def build_roi_report(
    *,
    scope: str,
    rep_ids: Sequence[int],
    now: datetime,
    weeks: int,
    records: Sequence[ActionRecord],
    changes: Sequence[StageChange],
    deals: Mapping[int, Deal],
    decisions: Sequence[DraftDecision],
    leads: Iterable[Lead],
    pipeline: Pipeline,
) -> RoiReport:
    """The report for these reps as of `now`; inputs may reach further back than needed."""
    if weeks < 1:
        raise ValueError(f"A report covers at least one week, not {weeks}")
    span = WEEK * weeks
    team = set(rep_ids)
    records = [r for r in records if r.rep_id in team]
    outcomes = action_outcomes(records, changes, pipeline=pipeline, as_of=now, deals=deals)
    decisions = [d for d in decisions if d.rep_id in team]
    sla = build_sla_report(
        (lead for lead in leads if lead.owner_id in team),
        rep_names={},
        team_names={},
        since=now - 2 * span,
        until=now,
    )
    return RoiReport(
        scope=scope,
        rep_ids=tuple(sorted(team)),
        now=now,
        weeks=weeks,
        current=roi_period(now - span, now, records, outcomes, decisions),
        previous=roi_period(now - 2 * span, now - span, records, outcomes, decisions),
        response=tuple(
            WeekResponse(group.label, group.count, group.touched, group.median)
            for group in sla.by_week
        ),
    )
