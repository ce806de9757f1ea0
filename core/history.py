"""Training examples from closed deals and leads, built only from what was known at the time.

Leakage is prevented here, by construction:
- a deal contributes one snapshot per open stage it entered (from its stage history), at the
  moment it entered and at fixed landmarks after (+14 d, +42 d) while it was still in that stage;
  the facts use only activities strictly before the snapshot, never the final Won/Lost stage,
  the close date or the deal's duration. Fixed landmarks (not "half-way through the stage") keep
  the snapshot time independent of the future;
- a deal imported flat (no stage history) gets one snapshot at `created_at` with the stage
  unknown (""): we cannot know where it stood, its recorded stage is the outcome itself, and an
  imported close date may be an export artefact, so no landmarks are taken from it either;
- a zero or blank amount is unknown, never a number: CRMs zero the amount of lost deals;
- a lead is seen as of `created_at + LEAD_WINDOW` (one day: hot-lead routing and the response
  clock act within it), counting signals and touches in that window and before any conversion;
- `label_time` is when the outcome became known (close time for deals, creation for leads, whose
  disqualification time is not recorded); the trainer splits on it, so the holdout only holds
  outcomes that came after everything it trained on.
Snapshots are not reweighted, though won deals leave more of them (they walk every stage): the
model scores the open pipeline at a moment, where long-lived deals are over-represented too, and
on synthetic histories (tests/test_learning.py) unweighted snapshots match that pipeline's win
rate within a few points, while counting each deal once (1 / its snapshots) understates it by
about 8 and weighting by open time overcorrects when lost deals linger.
What stays imperfect: amounts and custom attributes are their latest values (no field history),
so the learning adapter screens them for outcome-shaped patterns as well.
"""

from __future__ import annotations

import statistics
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from core.facts import DealFacts, LeadFacts
from core.model import Account, Activity, ActivityKind, Deal, DealStatus, Lead, Signal, StageChange
from core.norms import (
    DEFAULT_REMAINING_DAYS,
    StageNorms,
    default_ladder,
    default_stage_norms,
    expected_days_to_close,
    smoothed_rates,
)
from core.stages import Pipeline

__all__ = [
    "StageNorms",
    "compute_stage_norms",
    "deal_training_snapshots",
    "expected_days_to_close",
]

TOUCH_KINDS = frozenset(ActivityKind)
"""Every logged activity is a touch, as in storage's `open_facts`: training matches serving."""
LANDMARK_DAYS = (0.0, 14.0, 42.0)
LEAD_WINDOW = timedelta(days=1)
UNKNOWN_STAGE = ""
MIN_SAMPLES = 5


class DealExample(NamedTuple):
    facts: DealFacts
    won: bool
    label_time: datetime


class LeadExample(NamedTuple):
    facts: LeadFacts
    converted: bool
    label_time: datetime


@dataclass(frozen=True, slots=True)
class StageSpell:
    """A stretch of time a deal spent in one open stage; `end` is None while unknown."""

    stage: str
    start: datetime
    end: datetime | None


def known_amount(deal: Deal) -> float | None:
    """The amount as a signal: zero or blank means unknown (lost deals are often zeroed)."""
    return deal.amount if deal.amount is not None and deal.amount > 0 else None


def stage_spells(
    deal: Deal,
    changes: Sequence[StageChange],
    pipeline: Pipeline,
    names: dict[str, str] | None = None,
) -> list[StageSpell]:
    """The open stages a deal passed through, in order, from its stage history (oldest first)."""
    names = {} if names is None else names

    def canonical(name: str) -> str:
        if name not in names:  # a memo: canonical() runs a regex, and this runs per change
            names[name] = pipeline.canonical(name) or name
        return names[name]

    spells: list[StageSpell] = []
    ordered = sorted(changes, key=lambda c: c.changed_at)
    first_from = canonical(ordered[0].from_stage or "") if ordered else None
    if first_from in pipeline.open_stages:
        spells.append(StageSpell(first_from, deal.created_at, ordered[0].changed_at))
    for i, change in enumerate(ordered):
        stage = canonical(change.to_stage)
        if pipeline.status_of(stage) is not DealStatus.OPEN:
            continue
        end = ordered[i + 1].changed_at if i + 1 < len(ordered) else deal.closed_at
        spells.append(StageSpell(stage, change.changed_at, end))
    return spells


def _touch_counts(
    touches: Sequence[datetime], at: datetime
) -> tuple[datetime | None, int, int, int]:
    """Last touch and counts over 14 d, 30 d and all time, from touches strictly before `at`."""
    idx = bisect_left(touches, at)
    last = touches[idx - 1] if idx else None
    in_14 = idx - bisect_left(touches, at - timedelta(days=14), 0, idx)
    in_30 = idx - bisect_left(touches, at - timedelta(days=30), 0, idx)
    return last, in_14, in_30, idx


def deal_facts_as_of(
    deal: Deal,
    stage: str,
    entered: datetime,
    touches: Sequence[datetime],
    account: Account | None,
    at: datetime,
) -> DealFacts:
    """Facts for `deal` at `at` from its sorted touch times; storage can reuse it for open deals."""
    last, in_14, in_30, total = _touch_counts(touches, at)
    return DealFacts(
        deal=deal,
        as_of=at,
        stage=stage,
        stage_entered_at=entered,
        amount=known_amount(deal),
        last_touch_at=last,
        touches_14d=in_14,
        touches_30d=in_30,
        touches_total=total,
        account=account,
    )


def _touch_times(activities: Iterable[Activity], key: str) -> dict[int, list[datetime]]:
    times: dict[int, list[datetime]] = defaultdict(list)
    for act in activities:
        owner = act.deal_id if key == "deal" else act.lead_id
        if owner is not None and act.kind in TOUCH_KINDS:
            times[owner].append(act.occurred_at)
    for values in times.values():
        values.sort()
    return times


def _changes_by_deal(stage_changes: Iterable[StageChange]) -> dict[int, list[StageChange]]:
    grouped: dict[int, list[StageChange]] = defaultdict(list)
    for change in stage_changes:
        grouped[change.deal_id].append(change)
    return grouped


def label_time(deal: Deal, changes: Sequence[StageChange]) -> datetime:
    """When the outcome became known: close time, else the last stage change, else creation."""
    if deal.closed_at is not None:
        return deal.closed_at
    return max((c.changed_at for c in changes), default=deal.created_at)


def _snapshot_times(spell: StageSpell, closed_at: datetime | None) -> list[datetime]:
    """Entry plus each landmark the deal was provably still in the stage (and still open) for."""
    limit = spell.end or closed_at
    times = [spell.start]
    for days in LANDMARK_DAYS[1:]:
        at = spell.start + timedelta(days=days)
        if limit is not None and at < limit:
            times.append(at)
    return times


def deal_training_snapshots(
    deals: Iterable[Deal],
    stage_changes: Iterable[StageChange],
    activities: Iterable[Activity],
    accounts: Iterable[Account],
    pipeline: Pipeline,
) -> list[DealExample]:
    """Leak-free (facts, won, label_time) examples from closed deals; see the module docstring."""
    changes = _changes_by_deal(stage_changes)
    names: dict[str, str] = {}
    touches = _touch_times(activities, "deal")
    by_account = {a.id: a for a in accounts}
    examples: list[DealExample] = []
    for deal in deals:
        won = deal.outcome
        if won is None or deal.id is None:
            continue
        account = by_account.get(deal.account_id)
        own = changes.get(deal.id, [])
        when = label_time(deal, own)
        deal_touches = touches.get(deal.id, [])
        spells = stage_spells(deal, own, pipeline, names)
        times = [(s, at) for s in spells for at in _snapshot_times(s, deal.closed_at)]
        if not spells:
            times = [(StageSpell(UNKNOWN_STAGE, deal.created_at, None), deal.created_at)]
            if deal.closed_at is not None and deal.closed_at <= deal.created_at:
                deal_touches = []  # opened-at unknown (created = closed): its touches are all late
        for spell, at in times:
            facts = deal_facts_as_of(deal, spell.stage, spell.start, deal_touches, account, at)
            examples.append(DealExample(facts, won, when))
    return examples


def lead_window_facts(
    lead: Lead,
    signals: Sequence[Signal],
    touch_times: Sequence[datetime],
    *,
    as_of: datetime,
    cutoff: datetime,
    account: Account | None,
) -> LeadFacts:
    """A lead's facts from what it did before `cutoff` (the end of its first window, or sooner).

    Training and live scoring both call this, so the lead model sees the same features in use as
    it learned from. `touch_times` must be sorted.
    """
    seen = [s for s in signals if s.occurred_at < cutoff]
    week = [s for s in seen if s.occurred_at >= cutoff - timedelta(days=7)]
    return LeadFacts(
        lead=lead,
        as_of=as_of,
        signals_7d=len(week),
        signals_total=len(seen),
        signal_weight_7d=sum(s.weight for s in week),
        last_signal_at=max((s.occurred_at for s in seen), default=None),
        touches_total=bisect_left(touch_times, cutoff),
        account=account,
    )


def lead_training_snapshots(
    leads: Iterable[Lead],
    signals: Iterable[Signal],
    activities: Iterable[Activity],
    accounts: Iterable[Account],
) -> list[LeadExample]:
    """(facts, converted, created_at) per closed lead, as of `created_at + LEAD_WINDOW`."""
    by_lead: dict[int, list[Signal]] = defaultdict(list)
    for signal in signals:
        if signal.lead_id is not None:
            by_lead[signal.lead_id].append(signal)
    touches = _touch_times(activities, "lead")
    by_account = {a.id: a for a in accounts}
    examples: list[LeadExample] = []
    for lead in leads:
        outcome = lead.outcome
        if outcome is None or lead.id is None:
            continue
        at = lead.created_at + LEAD_WINDOW
        cutoff = min(at, lead.converted_at) if lead.converted_at else at
        facts = lead_window_facts(
            lead,
            by_lead.get(lead.id, []),
            touches.get(lead.id, []),
            as_of=at,
            cutoff=cutoff,
            account=by_account.get(lead.account_id),
        )
        examples.append(LeadExample(facts, outcome, lead.created_at))
    return examples


def _median(values: Sequence[float], default: float) -> float:
    return statistics.median(values) if len(values) >= MIN_SAMPLES else default


def _days(a: datetime, b: datetime) -> float:
    return max(0.0, (b - a).total_seconds() / 86400)


def compute_stage_norms(
    deals: Iterable[Deal],
    stage_changes: Iterable[StageChange],
    pipeline: Pipeline,
    examples: Sequence[DealExample] = (),
) -> StageNorms:
    """Stage norms from closed deals: smoothed win rates, days in stage, remaining days to a win."""
    changes = _changes_by_deal(stage_changes)
    names: dict[str, str] = {}
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    durations: dict[str, list[float]] = defaultdict(list)
    remaining: dict[str, list[float]] = defaultdict(list)
    cycles: list[float] = []
    amounts: list[float] = []
    total = wins = 0
    for deal in deals:
        if deal.outcome is None or deal.id is None:
            continue
        total += 1
        wins += deal.outcome
        if (amount := known_amount(deal)) is not None:
            amounts.append(amount)
        if deal.outcome and deal.closed_at is not None:
            cycles.append(_days(deal.created_at, deal.closed_at))
        first_entry: dict[str, datetime] = {}
        for spell in stage_spells(deal, changes.get(deal.id, []), pipeline, names):
            first_entry.setdefault(spell.stage, spell.start)
            if spell.end is not None:
                durations[spell.stage].append(_days(spell.start, spell.end))
        for stage, entered in first_entry.items():
            counts[stage][0] += deal.outcome
            counts[stage][1] += 1
            if deal.outcome and deal.closed_at is not None:
                remaining[stage].append(_days(entered, deal.closed_at))
    return _assemble(pipeline, counts, durations, remaining, cycles, amounts, total, wins, examples)


def _assemble(
    pipeline: Pipeline,
    counts: Mapping[str, list[int]],
    durations: Mapping[str, list[float]],
    remaining: Mapping[str, list[float]],
    cycles: list[float],
    amounts: list[float],
    total: int,
    wins: int,
    examples: Sequence[DealExample],
) -> StageNorms:
    defaults = default_stage_norms(pipeline)
    rates, global_rate = smoothed_rates(
        {s: (w, n) for s, (w, n) in counts.items()}, pipeline, wins, total
    )
    cycle = _median(cycles, defaults.typical_cycle_days)
    scale = cycle / defaults.typical_cycle_days
    ladder = default_ladder(pipeline, tuple(d * scale for d in DEFAULT_REMAINING_DAYS))
    gaps: dict[str, list[float]] = defaultdict(list)
    for example in examples:
        if (gap := example.facts.days_since_touch) is not None:
            gaps[example.facts.stage].append(gap)
    stages = set(ladder) | set(remaining)
    return StageNorms(
        win_rates=rates,
        global_rate=global_rate,
        days_in_stage={s: _median(v, defaults.stage_days(s)) for s, v in durations.items()},
        remaining_days={s: _median(remaining.get(s, []), ladder.get(s, cycle)) for s in stages},
        touch_gap_days={s: _median(v, defaults.touch_gap(s)) for s, v in gaps.items()},
        median_amount=_median(amounts, 0.0) or None,
        typical_cycle_days=cycle,
    )
