"""Fitting and calibrating one candidate estimator on encoded features.

Two candidates: HistGradientBoosting (native categorical support, early stopping on the newest
slice of its training data) and an L2 logistic regression on one-hot codes. The raw score is
calibrated on a later, held-out slice with Platt scaling (sigmoid) or isotonic regression;
the trainer picks the candidate and method with the lowest holdout log-loss.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from bot.learning.space import Encoded, FeatureSpace

EPS = 1e-3
MIN_ISOTONIC = 1000
ENGINES = ("hist_gradient_boosting", "logistic_regression")


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


def fit_calibrator(method: str, raw: np.ndarray, y: np.ndarray) -> Calibrator:
    if method == "isotonic":
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        return Calibrator(method, iso.fit(raw, y))
    platt = LogisticRegression(C=1e4, max_iter=200)
    return Calibrator(method, platt.fit(_logit(raw).reshape(-1, 1), y))


def calibration_methods(n: int) -> tuple[str, ...]:
    """Isotonic needs enough calibration examples to avoid overfitting its steps."""
    return ("sigmoid", "isotonic") if n >= MIN_ISOTONIC else ("sigmoid",)


@dataclass(slots=True)
class Estimator:
    """A fitted candidate and the space it reads; `raw` gives uncalibrated probabilities."""

    engine: str
    space: FeatureSpace
    fitted: Any

    def raw(self, enc: Encoded) -> np.ndarray:
        if self.engine == ENGINES[0]:
            return self.fitted.predict_proba(self.space.dense(enc))[:, 1]
        return self.fitted.predict_proba(self.space.one_hot(enc))[:, 1]


def fit_estimator(engine: str, space: FeatureSpace, enc: Encoded, y: np.ndarray) -> Estimator:
    """Fit one candidate on time-ordered rows (oldest first)."""
    if engine == ENGINES[0]:
        return Estimator(engine, space, _fit_boosting(space, enc, y))
    lr = LogisticRegression(C=0.3, max_iter=300, tol=1e-4)
    return Estimator(engine, space, lr.fit(space.one_hot(enc), y))


def _fit_boosting(
    space: FeatureSpace, enc: Encoded, y: np.ndarray
) -> HistGradientBoostingClassifier:
    """Gradient boosting that stops early on the newest 15% of its rows, not a random slice."""
    model = HistGradientBoostingClassifier(
        learning_rate=0.08,
        max_iter=300,
        max_leaf_nodes=15,
        min_samples_leaf=40,
        l2_regularization=1.0,
        categorical_features=space.categorical_mask(),
        early_stopping=True,
        n_iter_no_change=15,
        random_state=0,
    )
    X = space.dense(enc)
    cut = int(len(y) * 0.85)
    if cut < 50 or y[cut:].all() or not y[cut:].any() or y[:cut].all() or not y[:cut].any():
        model.set_params(early_stopping=False, max_iter=100)
        return model.fit(X, y)
    return model.fit(X[:cut], y[:cut], X_val=X[cut:], y_val=y[cut:])
