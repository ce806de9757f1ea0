"""Leakage screen: drop features that carry the outcome instead of predicting it.

`core.history` builds examples from what was known at the time, but amounts and custom
attributes are their latest values, so a field written at or after the close can still slip in.
Four tests, each reported with its reason:

1. Name: a custom attribute named like the outcome (close, won, lost, reason, status,
   converted, probability, forecast, stage, last..., tags) is written at the end of a record.
2. Missing or zero shaped by the outcome: on a record field (amount, custom attributes,
   account facts), blank-or-zero differs sharply between won and lost (by 50 points or more)
   while open records do not sit between the two, e.g. CRMs zero the amount of lost deals
   (lost 100%, won 0%, open 0%), or fill a value only at close (open 100%, won 0%).
3. Outcome-pure values: a categorical record field where a quarter or more of closed records
   have values that are almost always won or almost always lost (tags like "Closed by X").
4. Too good: any feature that alone ranks the holdout with AUC above 0.97. Real signals in
   sales data are far weaker; a field that good was written knowing the answer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import roc_auc_score

from bot.learning.space import Row, is_numeric, level_label
from core.features import Feature, outcome_like_name

MAX_SINGLE_AUC = 0.97
SHARP_GAP = 0.5
PURE_COVERAGE = 0.25
RECORD_FIELDS = frozenset({"log_amount", "log_employees", "industry", "region", "source", "owner"})
CUSTOM_PREFIXES = ("attr:", "account:")


@dataclass(frozen=True, slots=True)
class Dropped:
    feature: str
    reason: str


def is_record_field(name: str) -> bool:
    """Fields holding a record's latest value (not rebuilt as of the snapshot time)."""
    return name in RECORD_FIELDS or name.startswith(CUSTOM_PREFIXES)


def screen_features(
    rows: Sequence[Row], y: np.ndarray, holdout: np.ndarray, open_rows: Sequence[Row]
) -> list[Dropped]:
    """Features to drop, with reasons; `holdout` marks the newest rows (for the AUC test)."""
    names = sorted({name for r in rows for name in r})
    dropped: list[Dropped] = []
    for name in names:
        reason = _reason(name, rows, y, holdout, open_rows)
        if reason:
            dropped.append(Dropped(name, reason))
    return dropped


def _reason(
    name: str, rows: Sequence[Row], y: np.ndarray, holdout: np.ndarray, open_rows: Sequence[Row]
) -> str | None:
    if name.startswith(CUSTOM_PREFIXES) and outcome_like_name(name.split(":", 1)[1]):
        return "named like an outcome: such fields are written at or after the close"
    values = [r.get(name) for r in rows]
    if is_record_field(name):
        opens = [r.get(name) for r in open_rows]
        if reason := _missing_shaped_by_outcome(values, y, opens):
            return reason
        if not is_numeric(values) and (reason := _outcome_pure(values, y)):
            return reason
    auc = _single_auc(_bins(values, ~holdout), y, holdout)
    if auc is not None and auc > MAX_SINGLE_AUC:
        return (
            f"alone predicts the outcome on the holdout (AUC {auc:.2f}): written knowing the answer"
        )
    return None


def _blank(values: Sequence[Feature]) -> np.ndarray:
    return np.array([v is None or v == 0.0 for v in values], dtype=bool)


def _missing_shaped_by_outcome(
    values: Sequence[Feature], y: np.ndarray, opens: Sequence[Feature]
) -> str | None:
    blank = _blank(values)
    won, lost = float(blank[y].mean()), float(blank[~y].mean())
    lo, hi = sorted((won, lost))
    if hi - lo < SHARP_GAP:
        return None
    margin = 0.15 * (hi - lo)
    open_rate = float(_blank(opens).mean()) if opens else None
    if open_rate is not None and lo + margin <= open_rate <= hi - margin:
        return None
    seen = "no open records" if open_rate is None else f"{open_rate:.0%} of open"
    return (
        f"blank or zero on {lost:.0%} of lost vs {won:.0%} of won ({seen}): "
        "filled in or cleared at the outcome, treated as unknown"
    )


def _outcome_pure(values: Sequence[Feature], y: np.ndarray) -> str | None:
    base = float(y.mean())
    min_n = max(20, math.ceil(5 / max(1e-6, min(base, 1 - base))))
    low, high = min(0.03, base / 4), max(0.97, 1 - (1 - base) / 4)
    labels = np.array([level_label(v) if v is not None else "" for v in values], dtype=object)
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    wins = np.bincount(inverse, weights=y.astype(float))
    rates = wins / counts
    pure = (counts >= min_n) & ((rates <= low) | (rates >= high))
    coverage = counts[pure].sum() / len(values)
    if coverage < PURE_COVERAGE:
        return None
    return (
        f"{coverage:.0%} of closed records have values that are almost always one outcome: "
        "looks recorded after the result"
    )


def _bins(values: Sequence[Feature], train: np.ndarray) -> np.ndarray:
    """Values as small integer bins (0 = unknown): quantiles for numbers, labels for text."""
    if is_numeric(values):
        arr = np.array([v if type(v) is float else np.nan for v in values])
        known = arr[train & ~np.isnan(arr)]
        if known.size == 0:
            return np.zeros(len(values), dtype=np.int64)
        edges = np.unique(np.quantile(known, np.linspace(0.05, 0.95, 19)))
        return np.where(np.isnan(arr), 0, np.searchsorted(edges, arr, side="right") + 1)
    index: dict[str, int] = {}
    return np.array(
        [0 if v is None else index.setdefault(level_label(v), len(index) + 1) for v in values]
    )


def _single_auc(bins: np.ndarray, y: np.ndarray, holdout: np.ndarray) -> float | None:
    """Holdout AUC of each bin's training win rate used as the score."""
    test_y = y[holdout]
    if test_y.all() or not test_y.any():
        return None
    train = ~holdout
    size = int(bins.max()) + 1
    n = np.bincount(bins[train], minlength=size)
    wins = np.bincount(bins[train], weights=y[train].astype(float), minlength=size)
    prior = float(y[train].mean())
    rates = (wins + prior) / (n + 1.0)
    return float(roc_auc_score(test_y, rates[bins[holdout]]))
