"""The promotion gate of a retrain, and `dealbot model report`: which version is live and why.

A candidate and the live model are scored on the same holdout, the newest outcomes of the
history the candidate was trained from; the rule is in core.promotion. The decision is stored in
the version's metrics (`promotion`), so the live model is simply the newest promoted version.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.ports import ModelLoader, ModelVersionInfo, ProbabilityModel, UnitOfWork
from core.promotion import Promotion, decide, holdout_indices, holdout_score, is_promoted

Labelled = tuple[Any, bool, datetime]
"""An example as the gate needs it: facts, outcome, when the outcome became known."""


def judge_candidate(
    candidate: ProbabilityModel[Any],
    live: tuple[int, dict[str, Any], bytes] | None,
    examples: Sequence[Labelled],
    model_loader: ModelLoader,
) -> Promotion:
    """Score the candidate and the live model on the newest outcomes and apply the rule."""
    picked = holdout_indices([when.timestamp() for _, _, when in examples])
    facts = [examples[i][0] for i in picked]
    labels = [examples[i][1] for i in picked]
    scored = holdout_score(labels, candidate.predict(facts)) if picked else None
    if live is None:
        return decide(scored, None, live_version=None)
    try:
        live_model = model_loader(live[2])
        live_predicted = live_model.predict(facts) if picked else None
    except Exception:  # an older format, a broken write, or one that loads but cannot predict
        return decide(scored, None, live_version=live[0])  # (it cannot be the bar to clear)
    live_scored = holdout_score(labels, live_predicted) if live_predicted is not None else None
    return decide(scored, live_scored, live_version=live[0])


@dataclass(frozen=True, slots=True)
class VersionLine:
    """One stored version as `dealbot model report` shows it."""

    id: int
    kind: str
    trained_at: datetime
    model: str
    examples: int | None
    auc: float | None
    brier: float | None
    promoted: bool
    reason: str
    live: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "trained_at": self.trained_at.isoformat(),
            "model": self.model,
            "examples": self.examples,
            "auc": self.auc,
            "brier": self.brier,
            "promoted": self.promoted,
            "reason": self.reason,
            "live": self.live,
        }


def model_report(uow_factory: Callable[[], UnitOfWork]) -> list[VersionLine]:
    """Every stored version, by kind and newest first, marking the live one of each kind."""
    with uow_factory() as uow:
        versions = uow.model_versions.history()
    live: dict[str, int] = {}
    for version in versions:
        if is_promoted(version.metrics):
            live.setdefault(version.kind, version.id)
    ordered = sorted(versions, key=lambda v: (v.kind, -v.trained_at.timestamp(), -v.id))
    return [_line(v, live.get(v.kind) == v.id) for v in ordered]


def _line(version: ModelVersionInfo, live: bool) -> VersionLine:
    metrics = version.metrics
    promotion = metrics.get("promotion") if isinstance(metrics.get("promotion"), dict) else None
    figures = (promotion or {}).get("candidate") or metrics.get("holdout") or {}
    reason = (promotion or {}).get("reason") or "stored before promotion checks"
    return VersionLine(
        id=version.id,
        kind=version.kind,
        trained_at=version.trained_at,
        model=str(metrics.get("model", "-")),
        examples=figures.get("examples", metrics.get("examples")),
        auc=figures.get("auc"),
        brier=figures.get("brier"),
        promoted=is_promoted(metrics),
        reason=reason,
        live=live,
    )
