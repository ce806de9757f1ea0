"""Holdout metrics for a trained model: ranking, calibration and what mattered, in words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from bot.learning.space import Encoded, FeatureSpace

IMPORTANCE_ROWS = 4000
TOO_GOOD_AUC = 0.95


def scores(y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None) -> dict[str, float | None]:
    """AUC (None with one class), Brier score and log-loss, each example weighted by `w`."""
    two_classes = bool(y.any() and not y.all())
    clipped = np.clip(p, 1e-6, 1 - 1e-6)
    return {
        "auc": round(float(roc_auc_score(y, p, sample_weight=w)), 4) if two_classes else None,
        "brier": round(float(brier_score_loss(y, p, sample_weight=w)), 4),
        "log_loss": round(float(log_loss(y, clipped, sample_weight=w, labels=[0, 1])), 4),
    }


def calibration_table(
    y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None, bins: int = 10
) -> list[dict[str, float]]:
    """Deciles of predicted probability: (weighted) mean predicted vs actual rate, and how many."""
    w = np.ones(len(y)) if w is None else w
    order = np.argsort(p, kind="stable")
    table = []
    for chunk in np.array_split(order, min(bins, len(order))):
        if chunk.size:
            table.append(
                {
                    "predicted": round(float(np.average(p[chunk], weights=w[chunk])), 3),
                    "actual": round(float(np.average(y[chunk], weights=w[chunk])), 3),
                    "n": int(chunk.size),
                }
            )
    return table


def feature_label(name: str) -> str:
    """A feature name as a person would say it."""
    plain = {
        "log_amount": "amount",
        "log_employees": "company size",
        "stage_time_ratio": "time in stage vs its norm",
        "days_since_touch": "days since last touch",
        "age_days": "age",
        "owner": "owner",
        "touches_14d": "touches in 14 days",
        "touches_30d": "touches in 30 days",
        "touches_total": "touches in total",
        "base_rate": "base rate (stage or source)",
    }
    if name in plain:
        return plain[name]
    if name.startswith("attr:"):
        return name[5:]
    if name.startswith("account:"):
        return f"account {name[8:]}"
    return name.replace("_", " ")


def permutation_importance(
    space: FeatureSpace,
    enc: Encoded,
    y: np.ndarray,
    predict: Callable[[Encoded], np.ndarray],
    top: int = 8,
) -> list[str]:
    """Cheap permutation importance on (a sample of) the holdout: AUC lost per shuffled group."""
    if not (y.any() and not y.all()):
        return []
    rng = np.random.default_rng(0)
    if len(y) > IMPORTANCE_ROWS:
        pick = rng.choice(len(y), IMPORTANCE_ROWS, replace=False)
        enc, y = enc.take(pick), y[pick]
    base = roc_auc_score(y, predict(enc))
    k = len(space.numeric)
    losses = []
    for group, name in enumerate(space.groups):
        shuffled = Encoded(enc.numeric.copy(), enc.codes.copy())
        perm = rng.permutation(len(y))
        if group < k:
            shuffled.numeric[:, group] = shuffled.numeric[perm, group]
        else:
            shuffled.codes[:, group - k] = shuffled.codes[perm, group - k]
        losses.append((base - roc_auc_score(y, predict(shuffled)), name))
    losses.sort(reverse=True)
    return [f"{feature_label(n)} (AUC -{d:.3f} without it)" for d, n in losses[:top] if d > 0.001]


def warnings_for(holdout: dict[str, Any]) -> list[str]:
    """Plain warnings a person should read before trusting the model."""
    notes = []
    auc = holdout.get("auc")
    if auc is not None and auc > TOO_GOOD_AUC:
        notes.append(
            f"holdout AUC {auc:.2f} is unusually high for sales data: check the kept features "
            "for fields written after the outcome"
        )
    return notes
