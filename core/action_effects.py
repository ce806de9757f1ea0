"""How much doing each kind of action pays off, learned from what followed earlier ones.

For each kind of action on deals (follow-up, overdue next step, gone quiet) we count the done
actions whose deal then advanced or was won within 14 days, and the same for actions shown but
not done (the baseline: what happens anyway). The kind's lift (done rate / baseline rate) is
divided by the overall lift, because reps pick the promising deals to act on and that selection
inflates every kind alike: what is left says which kinds pay off more than the others. The
overall lift is the kinds' lifts weighted by their done actions (pooled rates would let kinds with
different baselines skew it). Rates are Beta posteriors with a modest strength
(`PRIOR_STRENGTH` pseudo-actions): the baseline's prior is the overall baseline, and the done
rate's prior is the kind's baseline times the overall lift, so it is the lift that is shrunk and
a kind with little done history sits at a multiplier near 1. The multiplier on a ranked item's
score is that relative lift, clipped to [0.5, 2]. No history: every multiplier is 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.action_outcomes import OUTCOME_WINDOW, ActionOutcome
from core.model import ActionKind

PRIOR_STRENGTH = 20.0
"""Pseudo-actions behind each prior: a kind needs a few dozen actions to move far from it."""
MULTIPLIER_RANGE = (0.5, 2.0)
NOTE_MIN_DONE = 10
"""Done actions of a kind before its reason line quotes the figure."""
NOTE_MIN_CHANGE = 0.1
"""How far from 1 the multiplier must be before the reason line mentions it."""

KIND_WORDS = {
    ActionKind.FOLLOW_UP: "follow-ups",
    ActionKind.OVERDUE_NEXT_STEP: "overdue next steps",
    ActionKind.GONE_QUIET: "check-ins on quiet deals",
    ActionKind.FIRST_TOUCH: "first touches",
    ActionKind.REVIEW_DRAFT: "draft reviews",
}


@dataclass(frozen=True, slots=True)
class KindEffect:
    """One kind's counts, its posterior rates and the multiplier the ranking applies."""

    kind: ActionKind
    done: int
    done_moved: int
    not_done: int
    not_done_moved: int
    done_rate: float
    """Posterior mean of p(advance or win within 14 days | done)."""
    baseline_rate: float
    """Posterior mean of the same when shown but not done."""
    multiplier: float

    @property
    def note(self) -> str | None:
        """The reason line's words, once there is enough history and the effect is real."""
        if self.done < NOTE_MIN_DONE or abs(self.multiplier - 1.0) < NOTE_MIN_CHANGE:
            return None
        raw = self.done_moved / self.done
        days = OUTCOME_WINDOW.days
        return (
            f"{KIND_WORDS.get(self.kind, self.kind.value)} like this moved {round(raw * 100)}% "
            f"of deals within {days} days"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "done": self.done,
            "done_moved": self.done_moved,
            "not_done": self.not_done,
            "not_done_moved": self.not_done_moved,
            "done_rate": self.done_rate,
            "baseline_rate": self.baseline_rate,
            "multiplier": self.multiplier,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> KindEffect:
        return cls(
            kind=ActionKind(raw["kind"]),
            done=int(raw["done"]),
            done_moved=int(raw["done_moved"]),
            not_done=int(raw["not_done"]),
            not_done_moved=int(raw["not_done_moved"]),
            done_rate=float(raw["done_rate"]),
            baseline_rate=float(raw["baseline_rate"]),
            multiplier=float(raw["multiplier"]),
        )


@dataclass(frozen=True, slots=True)
class ActionEffects:
    """Per-kind multipliers for the ranking; kinds without history count 1."""

    by_kind: Mapping[ActionKind, KindEffect] = field(default_factory=dict)

    def multiplier(self, kind: ActionKind) -> float:
        effect = self.by_kind.get(kind)
        return effect.multiplier if effect is not None else 1.0

    def note(self, kind: ActionKind) -> str | None:
        effect = self.by_kind.get(kind)
        return effect.note if effect is not None else None

    def to_dict(self) -> dict[str, Any]:
        return {"kinds": [effect.to_dict() for effect in self.by_kind.values()]}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ActionEffects:
        """Read back `to_dict`; anything unreadable gives no effects (multipliers of 1)."""
        try:
            effects = [KindEffect.from_dict(item) for item in raw.get("kinds", [])]
        except (KeyError, TypeError, ValueError):
            return NO_EFFECTS
        return cls({effect.kind: effect for effect in effects})


NO_EFFECTS = ActionEffects()


def _posterior(successes: int, trials: int, prior_rate: float, strength: float) -> float:
    return (prior_rate * strength + successes) / (strength + trials)


def estimate_action_effects(
    outcomes: Iterable[ActionOutcome],
    *,
    prior_strength: float = PRIOR_STRENGTH,
    bounds: tuple[float, float] = MULTIPLIER_RANGE,
) -> ActionEffects:
    """Multipliers per kind from outcomes whose 14-day window is over (open windows are skipped)."""
    counts: dict[ActionKind, list[int]] = {}
    for outcome in outcomes:
        if not outcome.window_closed:
            continue
        row = counts.setdefault(outcome.action.kind, [0, 0, 0, 0])
        offset = 0 if outcome.action.done else 2
        row[offset] += 1
        row[offset + 1] += int(outcome.moved)
    if not counts:
        return NO_EFFECTS
    totals = [sum(row[i] for row in counts.values()) for i in range(4)]
    # Laplace-smoothed overall baseline: never 0 or 1, so the ratios below stay finite.
    overall_base = (totals[3] + 1) / (totals[2] + 2)
    base_rates = {
        kind: _posterior(row[3], row[2], overall_base, prior_strength)
        for kind, row in counts.items()
    }
    overall_lift = _overall_lift(counts, base_rates)
    low, high = bounds
    effects = {}
    for kind, (done, done_moved, not_done, not_done_moved) in counts.items():
        base_rate = base_rates[kind]
        done_prior = min(0.99, base_rate * overall_lift)  # no done evidence: a multiplier of 1
        done_rate = _posterior(done_moved, done, done_prior, prior_strength)
        lift = done_rate / base_rate / overall_lift
        effects[kind] = KindEffect(
            kind,
            done,
            done_moved,
            not_done,
            not_done_moved,
            round(done_rate, 4),
            round(base_rate, 4),
            round(min(high, max(low, lift)), 4),  # as stored, so a reloaded estimate ranks alike
        )
    return ActionEffects(effects)


def _overall_lift(
    counts: Mapping[ActionKind, list[int]], base_rates: Mapping[ActionKind, float]
) -> float:
    """Each kind's lift (smoothed done rate / its own baseline) weighted by its done actions.

    Pooled rates would compare kinds with different baselines: a kind done often on deals that
    move anyway would set everyone's bar. 1 when nothing was done.
    """
    weight = sum(row[0] for row in counts.values())
    if weight == 0:
        return 1.0
    lifts = (
        (row[1] + 1) / (row[0] + 2) / base_rates[kind] * row[0] for kind, row in counts.items()
    )
    return sum(lifts) / weight
