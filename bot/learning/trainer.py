"""The scikit-learn trainer behind `core.ports.ModelTrainer`.

Steps: thin history falls back to base rates; examples are ordered by label time (when the
outcome became known) and split oldest 60% fit / next 20% calibration / newest 20% holdout;
the leakage screen (bot.learning.screen) drops outcome-shaped features; both learned candidates
(gradient boosting, logistic regression) are fitted on `fit` with the base rate as a feature,
calibrated (sigmoid, and isotonic with enough data) and scored on the holdout. Base rates fitted
on everything before the holdout are a candidate too, scored the same way: a learned model
ships only when its holdout log-loss beats theirs. The shipped learned model is then refitted
on the oldest 80% and calibrated on the newest 20%, the data closest to now.

Fitting, calibration and the holdout scores take per-example weights; they are all 1 today (why
deal snapshots are not reweighted is in `core.history`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.learning.fit import (
    ENGINES,
    Calibrator,
    Estimator,
    calibration_methods,
    fit_calibrator,
    fit_estimator,
    tune_logistic,
)
from bot.learning.model import BASE_FEATURE, LearnedModel, add_base_rate
from bot.learning.report import calibration_table, permutation_importance, scores, warnings_for
from bot.learning.screen import screen_features
from bot.learning.space import Encoded, FeatureSpace, Row, fit_space
from core.base_rate import BaseRateDealModel, deal_base_rates, lead_base_rates, thin_history
from core.facts import DealFacts, LeadFacts
from core.features import Features, deal_features, lead_features
from core.history import DealExample, LeadExample
from core.norms import StageNorms
from core.ports import ProbabilityModel, TrainedModel

SCREEN_ROWS = 60_000
OPEN_ROWS = 20_000
MIN_HOLDOUT = 50
MIN_CLASS_PER_PART = 5


@dataclass(frozen=True, slots=True)
class Dataset:
    """Training rows ordered by label time, with what the trainer needs alongside.

    `base` is the base-rate model from all history (what ships if it wins); `fit_base` fits
    base rates on some of the examples only, for an honest holdout comparison and the feature.
    """

    kind: str
    examples: list[Any]
    rows: list[Features]
    y: np.ndarray
    w: np.ndarray
    times: np.ndarray
    records: int
    base: ProbabilityModel[Any]
    fit_base: Callable[[Sequence[Any]], ProbabilityModel[Any]]
    open_rows: list[Row]

    def facts(self, index: np.ndarray | slice) -> list[Any]:
        picked = (
            self.examples[index] if isinstance(index, slice) else [self.examples[i] for i in index]
        )
        return [e.facts for e in picked]


def _dataset(
    kind: str,
    examples: Sequence[Any],
    rows: list[Features],
    y: list[bool],
    w: list[float],
    records: int,
    base: ProbabilityModel[Any],
    fit_base: Callable[[Sequence[Any]], ProbabilityModel[Any]],
    open_rows: list[Row],
) -> Dataset:
    times = np.array([e.label_time.timestamp() for e in examples])
    order = np.argsort(times, kind="stable")
    weights = np.array(w, dtype=float)[order]
    return Dataset(
        kind,
        [examples[i] for i in order],
        [rows[i] for i in order],
        np.array(y, dtype=bool)[order],
        weights * len(weights) / weights.sum(),
        times[order],
        records,
        base,
        fit_base,
        open_rows,
    )


def _sample(items: Sequence[Any], limit: int) -> list[Any]:
    if len(items) <= limit:
        return list(items)
    pick = np.random.default_rng(0).choice(len(items), limit, replace=False)
    return [items[i] for i in sorted(pick)]


TIE_SLACK = 0.1
"""How far past `share` a cut may move to keep equal label times together."""


def _cut(times: np.ndarray, share: float) -> int:
    """Index splitting older from newer at `share`, not between equal label times when it can.

    Records imported without dates all carry the import time; then there is no time to split on,
    and the cut falls in stored order (the export's row order), which is the best proxy left.
    """
    cut = int(len(times) * share)
    end = cut
    while 0 < end < len(times) and times[end] == times[end - 1]:
        end += 1
    return end if end - cut <= TIE_SLACK * len(times) else cut


class SklearnTrainer:
    """Implements `core.ports.ModelTrainer` with scikit-learn."""

    def train_deals(
        self, examples: Sequence[DealExample], norms: StageNorms, open_facts: Sequence[DealFacts]
    ) -> TrainedModel:
        base = BaseRateDealModel(norms)
        outcomes = {e.facts.deal.id: e.won for e in examples}
        if reason := thin_history(outcomes.values()):
            return _fallback("deal", base, reason, len(examples))
        data = _dataset(
            "deal",
            examples,
            [deal_features(e.facts, norms) for e in examples],
            [e.won for e in examples],
            [1.0] * len(examples),  # unweighted on purpose: see core.history
            len(outcomes),
            base,
            lambda older: deal_base_rates(older, norms),
            [deal_features(f, norms) for f in _sample(open_facts, OPEN_ROWS)],
        )
        return _train(data, norms)

    def train_leads(
        self, examples: Sequence[LeadExample], open_facts: Sequence[LeadFacts]
    ) -> TrainedModel:
        base = lead_base_rates(examples)
        if reason := thin_history((e.converted for e in examples), what="closed leads"):
            return _fallback("lead", base, reason, len(examples))
        data = _dataset(
            "lead",
            examples,
            [lead_features(e.facts) for e in examples],
            [e.converted for e in examples],
            [1.0] * len(examples),
            len(examples),
            base,
            lead_base_rates,
            [lead_features(f) for f in _sample(open_facts, OPEN_ROWS)],
        )
        return _train(data, None)


def _fallback(kind: str, model: ProbabilityModel[Any], reason: str, n: int) -> TrainedModel:
    return TrainedModel(kind, model, {"model": "base_rate", "fallback": reason, "examples": n})


def _screen(data: Dataset, cut: int) -> list[dict[str, str]]:
    pick = np.array(sorted(_sample(range(len(data.y)), SCREEN_ROWS)), dtype=np.int64)
    rows = [data.rows[i] for i in pick]
    dropped = screen_features(rows, data.y[pick], pick >= cut, data.open_rows)
    return [{"feature": d.feature, "reason": d.reason} for d in dropped]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A learned candidate fitted on `fit`, calibrated on `cal`, with its holdout predictions."""

    estimator: Estimator
    calibrator: Calibrator
    p_hold: np.ndarray
    loss: float

    @property
    def name(self) -> str:
        return f"{self.estimator.engine}+{self.calibrator.method}"

    def predict(self, enc: Encoded) -> np.ndarray:
        return self.calibrator(self.estimator.raw(enc))


def _train(data: Dataset, norms: StageNorms | None) -> TrainedModel:
    started = time.perf_counter()
    cut = _cut(data.times, 0.8)
    cal_cut = _cut(data.times[:cut], 0.75)
    if reason := _too_few(data.y, cal_cut, cut):
        return _fallback(data.kind, data.base, f"{reason}; using base rates", len(data.y))
    dropped = _screen(data, cut)
    add_base_rate(data.rows, data.fit_base(data.examples[:cal_cut]), data.facts(slice(None)))
    space = fit_space(data.rows[:cut], {d["feature"] for d in dropped})
    enc = space.encode(data.rows)
    fit, cal, hold = np.arange(cal_cut), np.arange(cal_cut, cut), np.arange(cut, len(data.y))
    best, candidates = _select(space, enc, data.y, data.w, (fit, cal, hold))
    prior = data.fit_base(data.examples[:cut])
    base_hold = np.array(prior.predict(data.facts(hold)))
    base = scores(data.y[hold], base_hold, data.w[hold])
    candidates["base_rate"] = base["log_loss"] or np.inf
    learned = {"model": best.name, **scores(data.y[hold], best.p_hold, data.w[hold])}
    metrics: dict[str, Any] = {
        "holdout_by": "time" if data.times[cut - 1] < data.times[cut] else "row order (dates tie)",
        "examples": len(data.y),
        "records": data.records,
        "base_rate": round(float(np.average(data.y, weights=data.w)), 4),
        "features": len(space.groups),
        "base_rate_model": base,
        "learned_model": learned,
        "candidates": candidates,
        "dropped": dropped,
        "split": {"fit": int(fit.size), "calibrate": int(cal.size), "holdout": int(hold.size)},
    }
    if best.loss >= candidates["base_rate"]:
        metrics |= _kept(data, hold, base_hold, base, best.loss)
        metrics["seconds"] = round(time.perf_counter() - started, 2)
        return TrainedModel(data.kind, data.base, metrics)
    model = _refit(data, space, enc, best, prior, cut, norms)
    metrics |= {
        "model": best.estimator.engine,
        "calibration": best.calibrator.method,
        "params": best.estimator.params,
        "holdout": {"examples": int(hold.size), **learned},
        "calibration_table": calibration_table(data.y[hold], best.p_hold, data.w[hold]),
        "important": permutation_importance(space, enc.take(hold), data.y[hold], best.predict),
        "warnings": warnings_for(learned),
        "seconds": round(time.perf_counter() - started, 2),
    }
    return TrainedModel(data.kind, model, metrics)


def _kept(
    data: Dataset, hold: np.ndarray, p: np.ndarray, base: dict[str, Any], learned_loss: float
) -> dict[str, Any]:
    """Metrics when base rates beat every learned candidate on the holdout."""
    return {
        "model": "base_rate",
        "kept": (
            f"base rates kept: learned model log-loss {learned_loss:.3f} "
            f"vs {base['log_loss']:.3f} for base rates on the holdout"
        ),
        "holdout": {"examples": int(hold.size), **base},
        "calibration_table": calibration_table(data.y[hold], p, data.w[hold]),
    }


def _refit(
    data: Dataset,
    space: FeatureSpace,
    enc: Encoded,
    best: Candidate,
    prior: ProbabilityModel[Any],
    cut: int,
    norms: StageNorms | None,
) -> LearnedModel:
    """The winner refitted on the oldest 80% (base rates from them too), calibrated on the rest."""
    if BASE_FEATURE in space.numeric:
        p = np.clip(np.array(prior.predict(data.facts(slice(None)))), 1e-4, 1 - 1e-4)
        enc.numeric[:, space.numeric.index(BASE_FEATURE)] = np.log(p / (1 - p))
    older, hold = np.arange(cut), np.arange(cut, len(data.y))
    engine, params = best.estimator.engine, best.estimator.params
    final = fit_estimator(engine, space, enc.take(older), data.y[older], data.w[older], params)
    raw = final.raw(enc.take(hold))
    calibrator = fit_calibrator(best.calibrator.method, raw, data.y[hold], data.w[hold])
    return LearnedModel(data.kind, final, calibrator, prior, norms)


def _too_few(y: np.ndarray, cal_cut: int, cut: int) -> str | None:
    """Why the calibration slice or holdout is too small to compare models honestly, if it is."""
    parts = (y[:cal_cut], y[cal_cut:cut], y[cut:])
    if min(cut - cal_cut, len(y) - cut) < MIN_HOLDOUT:
        return f"fewer than {MIN_HOLDOUT} examples in the newest periods for an honest holdout"
    if min(min(int(part.sum()), int((~part).sum())) for part in parts) < MIN_CLASS_PER_PART:
        return (
            f"fewer than {MIN_CLASS_PER_PART} of each outcome in the newest periods "
            "for an honest holdout"
        )
    return None


def _select(
    space: FeatureSpace,
    enc: Encoded,
    y: np.ndarray,
    w: np.ndarray,
    parts: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[Candidate, dict[str, float]]:
    """Fit every learned candidate on `fit`, calibrate on `cal`, keep the best holdout log-loss."""
    fit, cal, hold = parts
    candidates: dict[str, float] = {}
    best: Candidate | None = None
    for engine in ENGINES:
        if engine == ENGINES[1]:
            est = tune_logistic(
                space, (enc.take(fit), y[fit], w[fit]), (enc.take(cal), y[cal], w[cal])
            )
        else:
            est = fit_estimator(engine, space, enc.take(fit), y[fit], w[fit])
        raw_cal, raw_hold = est.raw(enc.take(cal)), est.raw(enc.take(hold))
        for method in calibration_methods(cal.size):
            calibrator = fit_calibrator(method, raw_cal, y[cal], w[cal])
            p = calibrator(raw_hold)
            loss = scores(y[hold], p, w[hold])["log_loss"] or np.inf
            candidate = Candidate(est, calibrator, p, loss)
            candidates[candidate.name] = loss
            if best is None or loss < best.loss:
                best = candidate
    assert best is not None
    return best, candidates
