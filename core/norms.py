"""Stage norms: how long deals sit in each stage, how often each stage wins, how long wins take.

Computed from closed history (`core.history.compute_stage_norms`); a fresh install uses the
defaults below, so win rates, "time in stage against its norm" and expected days to close work
from day one and sharpen as deals close.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.facts import DealFacts
from core.stages import Pipeline

DEFAULT_STAGE_RATES = (0.10, 0.20, 0.35, 0.50, 0.65)
DEFAULT_REMAINING_DAYS = (75.0, 60.0, 45.0, 30.0, 15.0)
DEFAULT_DAYS_IN_STAGE = 14.0
DEFAULT_TOUCH_GAP = 7.0
MAX_PLAUSIBLE_DAYS = 365
EXPECTED_CLOSE_SLACK = 3.0
STALE_FLOOR_SHARE = 0.25
"""A deal past its stage's typical remaining time still needs at least this share of it (and a
week): a stalled deal is not about to close, and must not outrank fresh ones on a tiny divisor."""
STALE_FLOOR_DAYS = 7.0
PRIOR_STRENGTH = 10.0
"""Pseudo-deals in each stage's Beta prior: about this many closes move a stage far from it."""
HISTORY_FOR_GLOBAL_PRIOR = 100.0
"""Closed deals at which the prior mean is halfway from the default ladder to the global rate."""


@dataclass(frozen=True, slots=True)
class StageRate:
    """A smoothed win rate and its evidence (`wins` of `n` closed deals that were there)."""

    rate: float
    wins: int = 0
    n: int = 0


@dataclass(frozen=True, slots=True)
class StageNorms:
    """Per-stage medians and smoothed win rates; the yardstick for features and explanations."""

    win_rates: dict[str, StageRate] = field(default_factory=dict)
    global_rate: StageRate = StageRate(0.3)
    days_in_stage: dict[str, float] = field(default_factory=dict)
    remaining_days: dict[str, float] = field(default_factory=dict)
    touch_gap_days: dict[str, float] = field(default_factory=dict)
    median_amount: float | None = None
    typical_cycle_days: float = 60.0

    def win_rate(self, stage: str) -> StageRate:
        return self.win_rates.get(stage, self.global_rate)

    def stage_days(self, stage: str) -> float:
        """Median days a deal spends in `stage` (never below one day, so ratios stay finite)."""
        return max(1.0, self.days_in_stage.get(stage, DEFAULT_DAYS_IN_STAGE))

    def touch_gap(self, stage: str) -> float:
        return max(1.0, self.touch_gap_days.get(stage, DEFAULT_TOUCH_GAP))

    def remaining(self, stage: str) -> float:
        """Typical days from entering `stage` to a win."""
        return self.remaining_days.get(stage, self.typical_cycle_days)


def default_ladder(pipeline: Pipeline, values: tuple[float, ...]) -> dict[str, float]:
    """Spread a default ladder (first stage to last) over however many open stages there are."""
    stages = pipeline.open_stages
    if not stages:
        return {}
    if len(stages) == 1:
        return {stages[0]: values[len(values) // 2]}
    out: dict[str, float] = {}
    for i, stage in enumerate(stages):
        pos = i * (len(values) - 1) / (len(stages) - 1)
        lo = int(pos)
        hi = min(lo + 1, len(values) - 1)
        out[stage] = values[lo] + (values[hi] - values[lo]) * (pos - lo)
    return out


def default_stage_norms(pipeline: Pipeline) -> StageNorms:
    """Norms for a fresh install: 10/20/35/50/65% by stage, two weeks a stage, a 60-day cycle."""
    rates = default_ladder(pipeline, DEFAULT_STAGE_RATES)
    return StageNorms(
        win_rates={s: StageRate(r) for s, r in rates.items()},
        global_rate=StageRate(sum(rates.values()) / max(1, len(rates))),
        remaining_days=default_ladder(pipeline, DEFAULT_REMAINING_DAYS),
    )


def smoothed_rates(
    counts: dict[str, tuple[int, int]], pipeline: Pipeline, total_wins: int, total: int
) -> tuple[dict[str, StageRate], StageRate]:
    """Beta-smoothed stage win rates from (wins, n) per stage.

    The prior mean for a stage starts at the default ladder and moves toward the observed
    global rate as history accumulates, so a new install keeps the stage ordering while a
    mature one is pulled toward its own base rate rather than ours.
    """
    defaults = default_ladder(pipeline, DEFAULT_STAGE_RATES)
    default_global = sum(defaults.values()) / max(1, len(defaults)) if defaults else 0.3
    global_mean = (total_wins + PRIOR_STRENGTH * default_global) / (total + PRIOR_STRENGTH)
    weight = total / (total + HISTORY_FOR_GLOBAL_PRIOR)
    rates: dict[str, StageRate] = {}
    for stage in set(defaults) | set(counts):
        prior = (1 - weight) * defaults.get(stage, global_mean) + weight * global_mean
        wins, n = counts.get(stage, (0, 0))
        rates[stage] = StageRate((wins + PRIOR_STRENGTH * prior) / (n + PRIOR_STRENGTH), wins, n)
    return rates, StageRate(global_mean, total_wins, total)


def expected_days_to_close(facts: DealFacts, norms: StageNorms, pipeline: Pipeline) -> float:
    """Days until this deal likely closes: its expected close date when plausible, else the norm.

    Plausible means at least a day ahead and no further than three times the stage's typical
    remaining time (at least 30 days, at most a year): reps leave stale or placeholder dates.
    Otherwise it is the stage's typical remaining time minus the time already spent in it, but
    never less than a quarter of that typical time or a week: overdue deals have stalled.
    """
    stage = pipeline.canonical(facts.stage) or facts.stage
    typical = norms.remaining(stage)
    if facts.deal.expected_close is not None:
        days = (facts.deal.expected_close - facts.as_of.date()).days
        cap = min(MAX_PLAUSIBLE_DAYS, max(30.0, EXPECTED_CLOSE_SLACK * typical))
        if 1 <= days <= cap:
            return float(days)
    floor = max(STALE_FLOOR_DAYS, STALE_FLOOR_SHARE * typical)
    return max(floor, typical - facts.days_in_stage)
