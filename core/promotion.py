"""Whether a newly trained model may replace the live one: it must not be worse on recent data.

Both models are scored on the same holdout: the newest `HOLDOUT_SHARE` of the closed history by
the time its outcome became known (a deal's close, a lead's conversion or disqualification).
The candidate is promoted unless its holdout AUC is more than `AUC_TOLERANCE` below the live
model's, or its Brier score more than `BRIER_TOLERANCE` above it. The tolerances absorb the noise
of refitting on one more night of data; a real step back in ranking or calibration is refused.
With no live model, or a live model that no longer loads, the candidate is promoted; with no
holdout to compare on (too little history) the candidate is promoted too, since base rates are
all either model can offer then. A rejected candidate stays stored with its figures and reason,
and the live model stays live.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

HOLDOUT_SHARE = 0.2
MIN_HOLDOUT = 20
AUC_TOLERANCE = 0.01
BRIER_TOLERANCE = 0.005


@dataclass(frozen=True, slots=True)
class HoldoutScore:
    """A model's figures on the holdout: AUC (None with one class only) and Brier score."""

    examples: int
    auc: float | None
    brier: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "auc": None if self.auc is None else round(self.auc, 4),
            "brier": round(self.brier, 4),
        }


@dataclass(frozen=True, slots=True)
class Promotion:
    """The decision about one candidate, with the figures behind it (stored with the version)."""

    promoted: bool
    reason: str
    candidate: HoldoutScore | None = None
    live: HoldoutScore | None = None
    live_version: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "promoted": self.promoted,
            "reason": self.reason,
            "candidate": self.candidate.to_dict() if self.candidate else None,
            "live": self.live.to_dict() if self.live else None,
            "live_version": self.live_version,
            "rule": (
                f"promote unless AUC drops by more than {AUC_TOLERANCE} or Brier rises by more "
                f"than {BRIER_TOLERANCE} on the newest {round(HOLDOUT_SHARE * 100)}% of outcomes"
            ),
        }


def is_promoted(metrics: Mapping[str, Any]) -> bool:
    """True for a promoted version; versions stored before promotion existed count as promoted."""
    promotion = metrics.get("promotion")
    return not isinstance(promotion, Mapping) or bool(promotion.get("promoted", True))


def holdout_indices(label_times: Sequence[float], share: float = HOLDOUT_SHARE) -> list[int]:
    """Positions of the newest `share` of examples by label time (all with the cut's time)."""
    if not label_times:
        return []
    order = sorted(range(len(label_times)), key=label_times.__getitem__)
    start = int(len(order) * (1 - share))
    cut_time = label_times[order[start]] if start < len(order) else None
    while start > 0 and label_times[order[start - 1]] == cut_time:
        start -= 1
    return sorted(order[start:])


def auc(labels: Sequence[bool], scores: Sequence[float]) -> float | None:
    """Area under the ROC curve by ranks (ties count half); None unless both outcomes occur."""
    positives = sum(1 for y in labels if y)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    order = sorted(range(len(scores)), key=scores.__getitem__)
    rank_sum, i = 0.0, 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        mid_rank = (i + j) / 2 + 1
        rank_sum += mid_rank * sum(1 for k in order[i : j + 1] if labels[k])
        i = j + 1
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def brier(labels: Sequence[bool], scores: Sequence[float]) -> float:
    """Mean squared gap between probability and outcome (0 is perfect, 0.25 a coin)."""
    return sum((p - float(y)) ** 2 for y, p in zip(labels, scores, strict=True)) / len(labels)


def holdout_score(labels: Sequence[bool], scores: Sequence[float]) -> HoldoutScore:
    return HoldoutScore(len(labels), auc(labels, scores), brier(labels, scores))


def decide(
    candidate: HoldoutScore | None, live: HoldoutScore | None, *, live_version: int | None
) -> Promotion:
    """Promote unless the candidate is worse than the live model beyond the tolerances."""
    if live_version is None:
        return Promotion(True, "first model of its kind", candidate)
    if candidate is None or candidate.examples < MIN_HOLDOUT:
        reason = f"fewer than {MIN_HOLDOUT} recent outcomes to compare on"
        return Promotion(True, reason, candidate, live, live_version)
    if live is None:
        reason = f"live v{live_version} cannot be loaded"
        return Promotion(True, reason, candidate, None, live_version)
    worse = []
    if (
        candidate.auc is not None
        and live.auc is not None
        and candidate.auc < live.auc - AUC_TOLERANCE
    ):
        worse.append(f"AUC {candidate.auc:.3f} vs {live.auc:.3f}")
    if candidate.brier > live.brier + BRIER_TOLERANCE:
        worse.append(f"Brier {candidate.brier:.4f} vs {live.brier:.4f}")
    if worse:
        reason = f"worse than live v{live_version} on the holdout: " + ", ".join(worse)
        return Promotion(False, reason, candidate, live, live_version)
    return Promotion(
        True, f"not worse than live v{live_version} on the holdout", candidate, live, live_version
    )
