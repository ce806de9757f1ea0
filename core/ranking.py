"""The ranked action list: what a rep should do now, best first, each with its reason.

Score = amount x p(win) / expected days to close (pipeline velocity: value per day of waiting),
raised by urgency: an overdue next step, a deal gone quiet against its stage's norm, a fresh
buying signal, a lead whose first-touch clock is running out. Ties break on the subject so the
same inputs always give the same order.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from core.action_effects import NO_EFFECTS, ActionEffects
from core.facts import DealFacts, LeadFacts
from core.model import Action, ActionKind
from core.money import format_amount, format_days

QUIET_FLOOR_DAYS = 7.0
FRESH_SIGNAL_DAYS = 2.0


@dataclass(frozen=True, slots=True)
class DealOutlook:
    """The model's view of one open deal: win probability and expected days to close."""

    p_win: float
    expected_days: float


@dataclass(frozen=True, slots=True)
class OutlookColumns:
    """`DealOutlook`s of many deals at once, in the order of the `OpenDeals` they were made for."""

    p_win: Sequence[float]
    expected_days: Sequence[float]


@dataclass(frozen=True, slots=True)
class LeadOutlook:
    """A lead's conversion probability and what a converted lead is typically worth."""

    p_convert: float
    typical_value: float
    typical_days: float


@dataclass(frozen=True, slots=True)
class Urgency:
    multiplier: float
    kind: ActionKind
    note: str | None


def expected_value(amount: float | None, p_win: float, expected_days: float) -> float:
    """Pipeline velocity of one deal: amount x p(win) / expected days (at least one day)."""
    return (amount or 0.0) * p_win / max(1.0, expected_days)


def urgency_multiplier(
    *,
    next_step_late_days: int | None,
    quiet_days: float | None,
    quiet_threshold: float,
    days_since_signal: float | None,
) -> float:
    """How much an overdue next step, a quiet spell past the norm and a fresh signal raise a score."""
    multiplier = 1.0
    if next_step_late_days is not None and next_step_late_days > 0:
        multiplier *= 1.5 + min(next_step_late_days, 10) * 0.1
    if quiet_days is not None and round(quiet_days) > round(quiet_threshold):
        multiplier *= 1.3
    if days_since_signal is not None and days_since_signal <= FRESH_SIGNAL_DAYS:
        multiplier *= 1.5
    return multiplier


def deal_urgency(facts: DealFacts, *, quiet_after_days: float) -> Urgency:
    """How much sooner than its value alone a deal needs attention, and why."""
    today = facts.as_of.date()
    kind, notes = ActionKind.FOLLOW_UP, []
    nxt = facts.deal.next_action
    late = (today - nxt.due).days if nxt is not None and nxt.due is not None else None
    if late is not None and late > 0:
        kind = ActionKind.OVERDUE_NEXT_STEP
        notes.append(f"next step {late} day{'s' if late != 1 else ''} overdue")
    quiet = facts.days_since_touch if facts.last_touch_at else facts.age_days
    threshold = max(QUIET_FLOOR_DAYS, quiet_after_days)
    if quiet is not None and round(quiet) > round(threshold):
        if kind is ActionKind.FOLLOW_UP:
            kind = ActionKind.GONE_QUIET
        notes.append(f"no touch for {round(quiet)} days (norm {round(threshold)})")
    close = facts.deal.expected_close
    if close is not None and close < today:
        late_close = (today - close).days
        notes.append(f"close date passed {late_close} day{'s' if late_close != 1 else ''} ago")
    since = None
    if facts.last_signal_at is not None:
        since = (facts.as_of - facts.last_signal_at).total_seconds() / 86400
        if since <= FRESH_SIGNAL_DAYS:
            n = facts.signals_7d
            notes.append(f"{n} buying signal{'s' if n != 1 else ''} this week")
    multiplier = urgency_multiplier(
        next_step_late_days=late,
        quiet_days=quiet,
        quiet_threshold=threshold,
        days_since_signal=since,
    )
    return Urgency(multiplier, kind, "; ".join(notes) or None)


def lead_urgency(facts: LeadFacts) -> Urgency:
    """A lead waiting for its first touch gets louder as its response clock runs out."""
    due = facts.lead.first_touch_due
    if due is None:
        return Urgency(1.5, ActionKind.FIRST_TOUCH, "waiting for a first touch")
    minutes = (due - facts.as_of).total_seconds() / 60
    if minutes < 0:
        return Urgency(4.0, ActionKind.FIRST_TOUCH, f"first touch {_duration(-minutes)} overdue")
    if minutes <= 60:
        return Urgency(3.0, ActionKind.FIRST_TOUCH, f"first touch due in {_duration(minutes)}")
    return Urgency(1.5, ActionKind.FIRST_TOUCH, f"first touch due in {_duration(minutes)}")


def _duration(minutes: float) -> str:
    if minutes < 90:
        return f"{max(1, round(minutes))} min"
    hours = minutes / 60
    return f"{round(hours)} h" if hours < 36 else f"{round(hours / 24)} days"


@dataclass(frozen=True, slots=True)
class _Candidate:
    score: float
    subject_type: str
    subject_id: int
    build: Callable[[float, Callable[[], uuid.UUID]], Action]


def _deal_candidate(
    facts: DealFacts, outlook: DealOutlook, quiet_after_days: float, effects: ActionEffects
) -> _Candidate:
    urgency = _learned(deal_urgency(facts, quiet_after_days=quiet_after_days), effects)
    score = expected_value(facts.amount, outlook.p_win, outlook.expected_days) * urgency.multiplier

    def build(final: float, new_id: Callable[[], uuid.UUID]) -> Action:
        return _deal_action(facts, outlook, urgency, final, new_id)

    return _Candidate(score, "deal", facts.deal.id or 0, build)


def _deal_action(
    facts: DealFacts,
    outlook: DealOutlook,
    urgency: Urgency,
    score: float,
    new_id: Callable[[], uuid.UUID],
) -> Action:
    deal = facts.deal
    reason = (
        f"{round(outlook.p_win * 100)}% to close, {format_amount(facts.amount, deal.currency)}, "
        f"{format_days(outlook.expected_days)}"
    )
    if urgency.note:
        reason += f"; {urgency.note}"
    return Action(
        id=new_id(),
        rep_id=deal.owner_id or 0,
        kind=urgency.kind,
        subject_type="deal",
        subject_id=deal.id or 0,
        title=_deal_title(facts),
        score=score,
        reason=reason,
        created_at=facts.as_of,
        value=(facts.amount or 0.0) * outlook.p_win,
        currency=deal.currency,
    )


def _deal_title(facts: DealFacts) -> str:
    deal = facts.deal
    account = facts.account.name if facts.account else None
    where = (
        f"{deal.name} ({account})"
        if account and account.lower() not in deal.name.lower()
        else deal.name
    )
    if deal.next_action is not None:
        return f"{deal.next_action.text}: {where}"
    return f"Follow up: {where}"


def _learned(urgency: Urgency, effects: ActionEffects) -> Urgency:
    """The urgency reweighted by what doing this kind of action led to before, and why."""
    learned = effects.multiplier(urgency.kind)
    if learned == 1.0:
        return urgency
    note = "; ".join(n for n in (urgency.note, effects.note(urgency.kind)) if n) or None
    return Urgency(urgency.multiplier * learned, urgency.kind, note)


def _lead_candidate(facts: LeadFacts, outlook: LeadOutlook, effects: ActionEffects) -> _Candidate:
    urgency = _learned(lead_urgency(facts), effects)
    score = (
        expected_value(outlook.typical_value, outlook.p_convert, outlook.typical_days)
        * urgency.multiplier
    )

    def build(final: float, new_id: Callable[[], uuid.UUID]) -> Action:
        return _lead_action(facts, outlook, urgency, final, new_id)

    return _Candidate(score, "lead", facts.lead.id or 0, build)


def _lead_action(
    facts: LeadFacts,
    outlook: LeadOutlook,
    urgency: Urgency,
    score: float,
    new_id: Callable[[], uuid.UUID],
) -> Action:
    lead = facts.lead
    source = f" from {lead.source}" if lead.source else ""
    reason = f"new lead{source}, {round(outlook.p_convert * 100)}% likely to convert"
    if urgency.note:
        reason += f"; {urgency.note}"
    company = f" ({lead.company})" if lead.company else ""
    return Action(
        id=new_id(),
        rep_id=lead.owner_id or 0,
        kind=urgency.kind,
        subject_type="lead",
        subject_id=lead.id or 0,
        title=f"First touch: {lead.name}{company}",
        score=score,
        reason=reason,
        created_at=facts.as_of,
        value=outlook.typical_value * outlook.p_convert,
    )


def _order(score: float, subject_type: str, subject_id: int) -> tuple[float, str, int]:
    return (-(score if math.isfinite(score) else 0.0), subject_type, subject_id)


def rank(
    actions: Sequence[Action],
    *,
    hidden: Collection[tuple[str, int]] = (),
    limit: int | None = None,
) -> list[Action]:
    """Best first; snoozed or dismissed subjects left out; ties broken by subject."""
    visible = [a for a in actions if (a.subject_type, a.subject_id) not in hidden]
    visible.sort(key=lambda a: _order(a.score, a.subject_type, a.subject_id))
    return visible[:limit] if limit is not None else visible


def build_action_list(
    *,
    deals: Sequence[DealFacts],
    deal_outlooks: Mapping[int, DealOutlook],
    leads: Sequence[LeadFacts] = (),
    lead_outlooks: Mapping[int, LeadOutlook] | None = None,
    quiet_after_days: Mapping[str, float] | None = None,
    hidden: Collection[tuple[str, int]] = (),
    limit: int | None = None,
    new_id: Callable[[], uuid.UUID] = uuid.uuid4,
    effects: ActionEffects = NO_EFFECTS,
) -> list[Action]:
    """The ranked list for one rep from the facts of their open deals and leads.

    Every subject is scored, but only the items that make the cut get a reason line and an id:
    a rep with 200 deals needs 10 sentences, not 200. `effects` reweights each item by what doing
    its kind of action led to before (core.action_effects); none leaves the scores as they are.
    """
    quiet = quiet_after_days or {}
    outlooks = lead_outlooks or {}
    candidates = [
        _deal_candidate(f, deal_outlooks[deal_id], quiet.get(f.stage, 14.0), effects)
        for f in deals
        if (deal_id := f.deal.id) is not None and deal_id in deal_outlooks
    ]
    candidates += [
        _lead_candidate(f, outlooks[lead_id], effects)
        for f in leads
        if (lead_id := f.lead.id) is not None and lead_id in outlooks
    ]
    visible = [c for c in candidates if (c.subject_type, c.subject_id) not in hidden]
    visible.sort(key=lambda c: _order(c.score, c.subject_type, c.subject_id))
    chosen = visible[:limit] if limit is not None else visible
    return [c.build(c.score, new_id) for c in chosen]
