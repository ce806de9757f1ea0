"""Base-rate probability models: the stage's (or lead source's) smoothed historical rate.

They are what a new install, or one with thin history, ranks by: honest, calibrated by
construction, and explainable in one sentence. The learned models in `bot/learning` replace
them once there is enough closed history, and fall back to them below it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace

from core.facts import DealFacts, LeadFacts
from core.history import DealExample, LeadExample
from core.norms import PRIOR_STRENGTH, StageNorms, StageRate

MIN_EXAMPLES = 200
MIN_PER_CLASS = 30
"""Below either, a learned model's holdout is too small to tell it from base rates."""
DEFAULT_LEAD_RATE = 0.10
FORMAT = "dealbot-base-rate/1"


def thin_history(outcomes: Iterable[bool], *, what: str = "closed deals") -> str | None:
    """Why there is too little history to learn from, or None when there is enough."""
    wins = losses = 0
    for outcome in outcomes:
        wins += outcome
        losses += not outcome
    if wins + losses < MIN_EXAMPLES:
        return f"only {wins + losses} {what} (need {MIN_EXAMPLES}); using base rates"
    if min(wins, losses) < MIN_PER_CLASS:
        return (
            f"only {min(wins, losses)} {'won' if wins < losses else 'lost'} among {what} "
            f"(need {MIN_PER_CLASS} of each); using base rates"
        )
    return None


@dataclass(frozen=True, slots=True)
class BaseRateDealModel:
    """p(win) = the deal's stage's smoothed historical win rate."""

    norms: StageNorms
    kind: str = "deal"

    def predict(self, facts: Sequence[DealFacts]) -> list[float]:
        return [self.norms.win_rate(f.stage).rate for f in facts]

    def explain(self, facts: DealFacts, top: int = 3) -> list[str]:
        rate = self.norms.win_rate(facts.stage)
        stage = facts.stage or "Unstaged"
        if rate.n == 0:
            return [f"{stage} deals usually win about {rate.rate:.0%} (no history here yet)"][:top]
        return [f"{stage} deals win {rate.rate:.0%} of the time here (n={rate.n})"][:top]

    def to_bytes(self) -> bytes:
        return json.dumps(
            {"format": FORMAT, "kind": self.kind, "norms": asdict(self.norms)}
        ).encode()


@dataclass(frozen=True, slots=True)
class BaseRateLeadModel:
    """p(convert) = the lead source's smoothed historical conversion rate."""

    by_source: dict[str, StageRate] = field(default_factory=dict)
    overall: StageRate = StageRate(DEFAULT_LEAD_RATE)
    kind: str = "lead"

    def _rate(self, facts: LeadFacts) -> tuple[str, StageRate]:
        source = facts.lead.source or ""
        return source, self.by_source.get(source, self.overall)

    def predict(self, facts: Sequence[LeadFacts]) -> list[float]:
        return [self._rate(f)[1].rate for f in facts]

    def explain(self, facts: LeadFacts, top: int = 3) -> list[str]:
        source, rate = self._rate(facts)
        what = f"Leads from {source}" if source and source in self.by_source else "Leads"
        return [f"{what} convert {rate.rate:.0%} of the time here (n={rate.n})"][:top]

    def to_bytes(self) -> bytes:
        payload = {
            "format": FORMAT,
            "kind": self.kind,
            "overall": asdict(self.overall),
            "by_source": {k: asdict(v) for k, v in self.by_source.items()},
        }
        return json.dumps(payload).encode()


def deal_base_rates(examples: Iterable[DealExample], norms: StageNorms) -> BaseRateDealModel:
    """Stage win rates from these examples only, each deal counted once per stage it was seen in.

    Counted as `compute_stage_norms` counts (deals that reached the stage) and Beta-smoothed
    toward these deals' own win rate, never toward `norms` (which saw every deal), so base rates
    fitted on older deals can be scored honestly on newer ones. The other norms (days in stage,
    touch gaps) are kept from `norms`: they carry no outcomes.
    """
    seen: set[tuple[int | None, str]] = set()
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    outcomes: dict[int | None, bool] = {}
    for example in examples:
        deal_id = example.facts.deal.id
        outcomes[deal_id] = example.won
        if (deal_id, example.facts.stage) not in seen:
            seen.add((deal_id, example.facts.stage))
            counts[example.facts.stage][0] += example.won
            counts[example.facts.stage][1] += 1
    wins, total = sum(outcomes.values()), len(outcomes)
    overall = StageRate((wins + 1) / (total + 2), wins, total)
    rates = {
        s: StageRate((w + PRIOR_STRENGTH * overall.rate) / (n + PRIOR_STRENGTH), w, n)
        for s, (w, n) in counts.items()
    }
    return BaseRateDealModel(replace(norms, win_rates=rates, global_rate=overall))


def lead_base_rates(examples: Iterable[LeadExample]) -> BaseRateLeadModel:
    """Conversion rate per lead source, Beta-smoothed toward the overall rate."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    wins = total = 0
    for example in examples:
        source = example.facts.lead.source or ""
        counts[source][0] += example.converted
        counts[source][1] += 1
        wins += example.converted
        total += 1
    overall = (wins + PRIOR_STRENGTH * DEFAULT_LEAD_RATE) / (total + PRIOR_STRENGTH)
    by_source = {
        s: StageRate((w + PRIOR_STRENGTH * overall) / (n + PRIOR_STRENGTH), w, n)
        for s, (w, n) in counts.items()
    }
    return BaseRateLeadModel(by_source, StageRate(overall, wins, total))


def _rate(data: dict[str, float]) -> StageRate:
    return StageRate(float(data["rate"]), int(data["wins"]), int(data["n"]))


def base_rate_from_bytes(blob: bytes) -> BaseRateDealModel | BaseRateLeadModel:
    """Read a base-rate model back from `to_bytes()`."""
    data = json.loads(blob)
    if data.get("format") != FORMAT:
        raise ValueError(f"not a base-rate model blob: format {data.get('format')!r}")
    if data["kind"] == "lead":
        by_source = {k: _rate(v) for k, v in data["by_source"].items()}
        return BaseRateLeadModel(by_source, _rate(data["overall"]))
    raw = data["norms"]
    norms = StageNorms(
        win_rates={k: _rate(v) for k, v in raw["win_rates"].items()},
        global_rate=_rate(raw["global_rate"]),
        days_in_stage=raw["days_in_stage"],
        remaining_days=raw["remaining_days"],
        touch_gap_days=raw["touch_gap_days"],
        median_amount=raw["median_amount"],
        typical_cycle_days=raw["typical_cycle_days"],
    )
    return BaseRateDealModel(norms)
