"""Feature dicts to matrices: numeric columns with median imputation and a missing flag,
categorical columns as codes (0 = unknown, 1 = other: rare or unseen levels pooled).

A column is numeric when at least 90% of its known training values parsed as numbers (custom
attributes arrive as floats or text from `core.features`), categorical otherwise. The same codes
feed HistGradientBoosting (native categorical support) and, one-hot encoded, the logistic model.
Encoding is column by column with plain dict lookups, so 400k rows take a couple of seconds.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from core.features import Feature

UNKNOWN, OTHER = 0, 1
MAX_LEVELS = 60
NUMERIC_SHARE = 0.9
Row = Mapping[str, Feature]


def level_label(value: Feature) -> str:
    """A category's label: text as is, numbers without trailing zeros ("3" not "3.0")."""
    return value if isinstance(value, str) else format(value, "g")


@dataclass(slots=True)
class Encoded:
    """Rows as arrays: numeric values (NaN = unknown) and category codes."""

    numeric: np.ndarray
    codes: np.ndarray

    def take(self, index: np.ndarray) -> Encoded:
        return Encoded(self.numeric[index], self.codes[index])


@dataclass(slots=True)
class FeatureSpace:
    """The columns learned from training rows, and how to turn any rows into model input."""

    numeric: list[str] = field(default_factory=list)
    medians: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scales: np.ndarray = field(default_factory=lambda: np.ones(0))
    categorical: list[str] = field(default_factory=list)
    levels: list[dict[Feature, int]] = field(default_factory=list)
    labels: list[list[str]] = field(default_factory=list)
    modes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))

    @property
    def groups(self) -> list[str]:
        return [*self.numeric, *self.categorical]

    def encode(self, rows: Sequence[Row]) -> Encoded:
        n = len(rows)
        numeric = np.full((n, len(self.numeric)), np.nan)
        for j, name in enumerate(self.numeric):
            numeric[:, j] = np.fromiter((_as_float(r.get(name)) for r in rows), float, n)
        codes = np.zeros((n, len(self.categorical)), dtype=np.int32)
        for j, name in enumerate(self.categorical):
            get = self.levels[j].get
            codes[:, j] = np.fromiter(
                (UNKNOWN if (v := r.get(name)) is None else get(v, OTHER) for r in rows),
                np.int32,
                n,
            )
        return Encoded(numeric, codes)

    def encode_columns(self, columns: Mapping[str, Sequence[Feature]], n: int) -> Encoded:
        """The same as `encode`, from one sequence per feature (a missing name is unknown)."""
        numeric = np.full((n, len(self.numeric)), np.nan)
        for j, name in enumerate(self.numeric):
            if (values := columns.get(name)) is not None:
                numeric[:, j] = [v if type(v) is float else math.nan for v in values]
        codes = np.zeros((n, len(self.categorical)), dtype=np.int32)
        for j, name in enumerate(self.categorical):
            if (values := columns.get(name)) is not None:
                get = self.levels[j].get
                codes[:, j] = [UNKNOWN if v is None else get(v, OTHER) for v in values]
        return Encoded(numeric, codes)

    def dense(self, enc: Encoded) -> np.ndarray:
        """[imputed numerics | missing flags | codes], the HistGradientBoosting input."""
        missing = np.isnan(enc.numeric)
        imputed = np.where(missing, self.medians, enc.numeric)
        return np.hstack([imputed, missing.astype(float), enc.codes.astype(float)])

    def categorical_mask(self) -> np.ndarray:
        k = len(self.numeric)
        return np.r_[np.zeros(2 * k, dtype=bool), np.ones(len(self.categorical), dtype=bool)]

    def one_hot(self, enc: Encoded) -> sparse.csr_matrix:
        """[standardised numerics | missing flags | one-hot codes], the logistic input."""
        missing = np.isnan(enc.numeric)
        scaled = (np.where(missing, self.medians, enc.numeric) - self.medians) / self.scales
        dense = np.hstack([np.clip(scaled, -5, 5), missing.astype(float)])
        widths = np.array([len(labels) for labels in self.labels], dtype=np.int64)
        offsets = np.r_[0, np.cumsum(widths)[:-1]].astype(np.int64)
        n = enc.codes.shape[0]
        cols = (enc.codes + offsets).ravel()
        rows = np.repeat(np.arange(n), len(self.categorical))
        hot = sparse.csr_matrix((np.ones(cols.size), (rows, cols)), shape=(n, int(widths.sum())))
        return sparse.hstack([sparse.csr_matrix(dense), hot], format="csr")

    def baseline(self, enc: Encoded, group: int, row: int | None = None) -> None:
        """Set a feature group (in one row, or all) to its training baseline, in place.

        The baseline is the median for numbers (which also clears the missing flag) and the
        most common level for categories.
        """
        rows = slice(None) if row is None else row
        k = len(self.numeric)
        if group < k:
            enc.numeric[rows, group] = self.medians[group]
        else:
            enc.codes[rows, group - k] = self.modes[group - k]

    def value(self, enc: Encoded, row: int, group: int) -> Feature:
        """One row's value of a group, decoded (None when unknown)."""
        k = len(self.numeric)
        if group < k:
            v = float(enc.numeric[row, group])
            return None if math.isnan(v) else v
        code = int(enc.codes[row, group - k])
        return None if code == UNKNOWN else self.labels[group - k][code]


def _as_float(value: Feature) -> float:
    return value if type(value) is float else math.nan


def is_numeric(values: Sequence[Feature]) -> bool:
    known = [v for v in values if v is not None]
    floats = sum(1 for v in known if type(v) is float)
    return bool(known) and floats >= NUMERIC_SHARE * len(known)


def min_level_count(n: int) -> int:
    """Levels seen fewer times than this are pooled into "other"."""
    return max(20, int(0.002 * n))


def max_levels(n: int) -> int:
    """Levels kept per column: a level needs dozens of rows behind it to be worth a coefficient."""
    return int(np.clip(n // 60, 8, MAX_LEVELS))


def fit_space(rows: Sequence[Row], drop: Collection[str] = ()) -> FeatureSpace:
    """Learn columns from training rows; constant or all-rare columns are left out."""
    names = sorted({name for r in rows for name in r} - set(drop))
    space = FeatureSpace()
    medians, scales, modes = [], [], []
    for name in names:
        values = [r.get(name) for r in rows]
        if is_numeric(values):
            known = np.array([v for v in values if type(v) is float])
            if known.size and known.min() < known.max():
                space.numeric.append(name)
                medians.append(float(np.median(known)))
                scales.append(float(known.std()) or 1.0)
        elif (fitted := _fit_levels(values, len(rows))) is not None:
            space.categorical.append(name)
            space.levels.append(fitted[0])
            space.labels.append(fitted[1])
            modes.append(fitted[2])
    space.medians, space.scales = np.array(medians), np.array(scales)
    space.modes = np.array(modes, dtype=np.int32)
    return space


def _fit_levels(
    values: Sequence[Feature], n: int
) -> tuple[dict[Feature, int], list[str], int] | None:
    counts = Counter(level_label(v) for v in values if v is not None)
    kept = [label for label, c in counts.most_common(max_levels(n)) if c >= min_level_count(n)]
    if not kept or counts[kept[0]] == len(values):
        return None
    code = {label: i + 2 for i, label in enumerate(kept)}
    levels: dict[Feature, int] = {
        v: code[level_label(v)] for v in set(values) if v is not None and level_label(v) in code
    }
    observed = {UNKNOWN: len(values) - sum(counts.values())}
    observed[OTHER] = sum(counts.values()) - sum(counts[label] for label in kept)
    observed.update({code[label]: counts[label] for label in kept})
    return levels, ["unknown", "other", *kept], max(observed, key=lambda c: observed[c])
