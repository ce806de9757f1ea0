"""Fitting and calibrating one candidate estimator on encoded features.

Two candidates: HistGradientBoosting (native categorical support, early stopping on the newest
slice of its training data) and an L2 logistic regression on one-hot codes. Both regularise
harder the fewer examples there are: boosting with bigger leaves, fewer of them and more L2;
the logistic model with its C picked on the calibration slice. The raw score is calibrated on
a later, held-out slice with Platt scaling (sigmoid) or isotonic regression; the trainer picks
the candidate and method with the lowest holdout log-loss. Every fit takes sample weights
(one closed deal weighs the same however many snapshots it left, see `core.history`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from bot.learning.space import Encoded, FeatureSpace

EPS = 1e-3
MIN_ISOTONIC = 1000
ENGINES = ("hist_gradient_boosting", "logistic_regression")
C_GRID = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p / (1 - p))


@dataclass(slots=True)
class Calibrator:
    """Maps a raw model probability to a calibrated one."""

    method: str
    fitted: Any

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        if self.method == "isotonic":
            out = self.fitted.predict(raw)
        else:
            out = self.fitted.predict_proba(_logit(raw).reshape(-1, 1))[:, 1]
        return np.clip(out, EPS, 1 - EPS)


def fit_calibrator(method: str, raw: np.ndarray, y: np.ndarray, w: np.ndarray) -> Calibrator:
    if method == "isotonic":
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        return Calibrator(method, iso.fit(raw, y, sample_weight=w))
    platt = LogisticRegression(C=1e4, max_iter=200)
    return Calibrator(method, platt.fit(_logit(raw).reshape(-1, 1), y, sample_weight=w))


def calibration_methods(n: int) -> tuple[str, ...]:
    """Isotonic needs enough calibration examples to avoid overfitting its steps."""
    return ("sigmoid", "isotonic") if n >= MIN_ISOTONIC else ("sigmoid",)


@dataclass(slots=True)
class Estimator:
    """A fitted candidate and the space it reads; `raw` gives uncalibrated probabilities."""

    engine: str
    space: FeatureSpace
    fitted: Any
    params: dict[str, float] = field(default_factory=dict)

    def raw(self, enc: Encoded) -> np.ndarray:
        if self.engine == ENGINES[0]:
            return self.fitted.predict_proba(self.space.dense(enc))[:, 1]
        return self.fitted.predict_proba(self.space.one_hot(enc))[:, 1]


def fit_estimator(
    engine: str,
    space: FeatureSpace,
    enc: Encoded,
    y: np.ndarray,
    w: np.ndarray,
    params: dict[str, float] | None = None,
) -> Estimator:
    """Fit one candidate on time-ordered rows (oldest first)."""
    if engine == ENGINES[0]:
        return Estimator(engine, space, _fit_boosting(space, enc, y, w))
    c = (params or {}).get("C", 0.3)
    lr = LogisticRegression(C=c, max_iter=300, tol=1e-4)
    return Estimator(engine, space, lr.fit(space.one_hot(enc), y, sample_weight=w), {"C": c})


def tune_logistic(
    space: FeatureSpace,
    fit: tuple[Encoded, np.ndarray, np.ndarray],
    cal: tuple[Encoded, np.ndarray, np.ndarray],
) -> Estimator:
    """The logistic model whose C gives the lowest log-loss on the (later) calibration slice."""
    best, best_loss = None, np.inf
    x_fit, x_cal = space.one_hot(fit[0]), space.one_hot(cal[0])
    for c in C_GRID:
        lr = LogisticRegression(C=c, max_iter=300, tol=1e-4).fit(
            x_fit, fit[1], sample_weight=fit[2]
        )
        loss = log_loss(cal[1], lr.predict_proba(x_cal)[:, 1], sample_weight=cal[2], labels=[0, 1])
        if loss < best_loss:
            best, best_loss = Estimator(ENGINES[1], space, lr, {"C": c}), loss
    assert best is not None
    return best


def boosting_params(n: int) -> dict[str, Any]:
    """Capacity that grows with the data: on a few hundred rows, a handful of big leaves."""
    return {
        "min_samples_leaf": int(np.clip(n // 25, 20, 200)),
        "max_leaf_nodes": 4 if n < 2_000 else 8 if n < 20_000 else 15,
        "l2_regularization": max(1.0, 20_000 / max(n, 1)),
    }


def _fit_boosting(
    space: FeatureSpace, enc: Encoded, y: np.ndarray, w: np.ndarray
) -> HistGradientBoostingClassifier:
    """Gradient boosting that stops early on the newest 15% of its rows, not a random slice."""
    model = HistGradientBoostingClassifier(
        learning_rate=0.08,
        max_iter=300,
        categorical_features=space.categorical_mask(),
        early_stopping=True,
        n_iter_no_change=15,
        random_state=0,
        **boosting_params(len(y)),
    )
    X = space.dense(enc)
    cut = int(len(y) * 0.85)
    if cut < 50 or y[cut:].all() or not y[cut:].any() or y[:cut].all() or not y[:cut].any():
        model.set_params(early_stopping=False, max_iter=100)
        return model.fit(X, y, sample_weight=w)
    return model.fit(
        X[:cut],
        y[:cut],
        sample_weight=w[:cut],
        X_val=X[cut:],
        y_val=y[cut:],
        sample_weight_val=w[cut:],
    )
