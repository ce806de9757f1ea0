"""The scikit-learn trainer behind `core.ports.ModelTrainer`.

Steps: thin history falls back to base rates; examples are ordered by label time (when the
outcome became known) and split oldest 60% fit / next 20% calibration / newest 20% holdout;
the leakage screen (bot.learning.screen) drops outcome-shaped features; both candidates
(gradient boosting, logistic regression) are fitted, calibrated (sigmoid, and isotonic with
enough data) and scored on the holdout; the lowest holdout log-loss wins. The shipped model is
then refitted on the oldest 80% and calibrated on the newest 20%, the data closest to now.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.learning.fit import ENGINES, calibration_methods, fit_calibrator, fit_estimator
from bot.learning.model import LearnedModel
from bot.learning.report import calibration_table, permutation_importance, scores, warnings_for
from bot.learning.screen import screen_features
from bot.learning.space import Encoded, Row, fit_space
from core.base_rate import BaseRateDealModel, lead_base_rates, thin_history
from core.facts import DealFacts, LeadFacts
from core.features import deal_features, lead_features
from core.history import DealExample, LeadExample
from core.norms import StageNorms
from core.ports import ProbabilityModel, TrainedModel

SCREEN_ROWS = 60_000
OPEN_ROWS = 20_000


@dataclass(frozen=True, slots=True)
class Dataset:
    """Training rows ordered by label time, with what the trainer needs alongside."""

    kind: str
    rows: list[Row]
    y: np.ndarray
    times: np.ndarray
    records: int
    base_p: np.ndarray
    open_rows: list[Row]
    base: ProbabilityModel[Any]


def _dataset(
    kind: str,
    rows: list[Row],
    y: list[bool],
    times: list[float],
    records: int,
    base: ProbabilityModel[Any],
    base_p: list[float],
    open_rows: list[Row],
) -> Dataset:
    order = np.argsort(np.array(times), kind="stable")
    return Dataset(
        kind,
        [rows[i] for i in order],
        np.array(y, dtype=bool)[order],
        np.array(times)[order],
        records,
        np.array(base_p)[order],
        open_rows,
        base,
    )


def _sample(items: Sequence[Any], limit: int) -> list[Any]:
    if len(items) <= limit:
        return list(items)
    pick = np.random.default_rng(0).choice(len(items), limit, replace=False)
    return [items[i] for i in sorted(pick)]


def _cut(times: np.ndarray, share: float) -> int:
    """Index splitting older from newer at `share`, never between equal label times."""
    cut = int(len(times) * share)
    while 0 < cut < len(times) and times[cut] == times[cut - 1]:
        cut += 1
    return cut


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
            [deal_features(e.facts, norms) for e in examples],
            [e.won for e in examples],
            [e.label_time.timestamp() for e in examples],
            len(outcomes),
            base,
            base.predict([e.facts for e in examples]),
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
            [lead_features(e.facts) for e in examples],
            [e.converted for e in examples],
            [e.label_time.timestamp() for e in examples],
            len(examples),
            base,
            base.predict([e.facts for e in examples]),
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


def _train(data: Dataset, norms: StageNorms | None) -> TrainedModel:
    started = time.perf_counter()
    cut = _cut(data.times, 0.8)
    cal_cut = _cut(data.times[:cut], 0.75)
    if min(cal_cut, cut - cal_cut, len(data.y) - cut) < 10 or _one_class(data.y, cal_cut, cut):
        reason = (
            "too few closed records of each outcome in the newest periods for an honest holdout"
        )
        return _fallback(data.kind, data.base, f"{reason}; using base rates", len(data.y))
    dropped = _screen(data, cut)
    space = fit_space(data.rows[:cut], {d["feature"] for d in dropped})
    enc = space.encode(data.rows)
    fit, cal, hold = np.arange(cal_cut), np.arange(cal_cut, cut), np.arange(cut, len(data.y))
    best, candidates = _select(space, enc, data.y, fit, cal, hold)
    engine, method, p_hold, predict = best
    final = fit_estimator(engine, space, enc.take(np.arange(cut)), data.y[:cut])
    calibrator = fit_calibrator(method, final.raw(enc.take(hold)), data.y[hold])
    holdout = {"examples": int(hold.size), **scores(data.y[hold], p_hold)}
    base = scores(data.y[hold], data.base_p[hold])
    metrics: dict[str, Any] = {
        "model": engine,
        "calibration": method,
        "examples": len(data.y),
        "records": data.records,
        "base_rate": round(float(data.y.mean()), 4),
        "features": len(space.groups),
        "holdout": holdout,
        "base_rate_model": base,
        "candidates": candidates,
        "calibration_table": calibration_table(data.y[hold], p_hold),
        "important": permutation_importance(space, enc.take(hold), data.y[hold], predict),
        "dropped": dropped,
        "warnings": warnings_for(holdout),
        "split": {"fit": int(fit.size), "calibrate": int(cal.size), "holdout": int(hold.size)},
    }
    metrics["seconds"] = round(time.perf_counter() - started, 2)
    return TrainedModel(data.kind, LearnedModel(data.kind, final, calibrator, norms), metrics)


def _one_class(y: np.ndarray, cal_cut: int, cut: int) -> bool:
    return any(part.all() or not part.any() for part in (y[:cal_cut], y[cal_cut:cut], y[cut:]))


Best = tuple[str, str, np.ndarray, Callable[[Encoded], np.ndarray]]


def _select(
    space: Any, enc: Encoded, y: np.ndarray, fit: np.ndarray, cal: np.ndarray, hold: np.ndarray
) -> tuple[Best, dict[str, float]]:
    """Fit every candidate on `fit`, calibrate on `cal`, keep the best holdout log-loss."""
    candidates: dict[str, float] = {}
    best: Best | None = None
    best_loss = np.inf
    for engine in ENGINES:
        est = fit_estimator(engine, space, enc.take(fit), y[fit])
        raw_cal, raw_hold = est.raw(enc.take(cal)), est.raw(enc.take(hold))
        for method in calibration_methods(cal.size):
            calibrator = fit_calibrator(method, raw_cal, y[cal])
            p = calibrator(raw_hold)
            loss = scores(y[hold], p)["log_loss"] or np.inf
            candidates[f"{engine}+{method}"] = loss
            if loss < best_loss:
                best_loss = loss
                best = (engine, method, p, _predictor(est, calibrator))
    assert best is not None
    return best, candidates


def _predictor(est: Any, calibrator: Any) -> Callable[[Encoded], np.ndarray]:
    return lambda enc: calibrator(est.raw(enc))
