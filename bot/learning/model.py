"""The learned probability model: features from core, a fitted estimator, a calibrator.

Besides the features from `core.features` it reads one more, `base_rate`: the logit of the
base-rate model (the stage's or lead source's smoothed rate, fitted on its training rows only),
so it starts where base rates are and needs little data to learn the rest. It satisfies
`core.ports.ProbabilityModel` for deals (with the stage norms it was trained with, for expected
days and explanations) or for leads. Explanations replace each feature group with
its training baseline (median or most common level) in one batch and report the largest moves.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.learning.columns import deal_feature_columns
from bot.learning.fit import Calibrator, Estimator
from bot.learning.space import Encoded, FeatureSpace
from core.base_rate import BaseRateDealModel, base_rate_from_bytes
from core.facts import DealFacts, LeadFacts, OpenDeals
from core.features import (
    Features,
    deal_features,
    describe_deal_factor,
    describe_value,
    lead_features,
)
from core.norms import StageNorms
from core.ports import ProbabilityModel

FORMAT = "dealbot-learned/2"
MIN_EFFECT = 0.005
BASE_FEATURE = "base_rate"


def add_base_rate(
    rows: Sequence[Features], prior: ProbabilityModel[Any], facts: Sequence[Any]
) -> None:
    """Set each row's `base_rate` feature, in place, to the logit of `prior`'s probability."""
    for row, value in zip(rows, _logits(prior.predict(facts)), strict=True):
        row[BASE_FEATURE] = value


def _logits(probabilities: Sequence[float]) -> list[float]:
    p = np.clip(np.array(probabilities, dtype=float), 1e-4, 1 - 1e-4)
    result: list[float] = np.log(p / (1 - p)).tolist()
    return result


def _prior_logits(prior: ProbabilityModel[Any], deals: OpenDeals) -> list[float]:
    """The `base_rate` feature of many deals: the stage's rate, looked up once per stage."""
    if isinstance(prior, BaseRateDealModel):
        rate = {stage: prior.norms.win_rate(stage).rate for stage in set(deals.stage)}
        return _logits([rate[stage] for stage in deals.stage])
    return _logits(prior.predict([deals.facts(i) for i in range(len(deals))]))


@dataclass(slots=True)
class LearnedModel:
    """p(win) for deals or p(convert) for leads from a calibrated scikit-learn estimator."""

    kind: str
    estimator: Estimator
    calibrator: Calibrator
    prior: ProbabilityModel[Any]
    norms: StageNorms | None = None

    @property
    def space(self) -> FeatureSpace:
        return self.estimator.space

    def features(self, facts: Sequence[Any]) -> list[Features]:
        if self.kind == "deal":
            norms = self.norms or StageNorms()
            rows = [deal_features(f, norms) for f in facts]
        else:
            rows = [lead_features(f) for f in facts]
        add_base_rate(rows, self.prior, facts)
        return rows

    def predict_encoded(self, enc: Encoded) -> np.ndarray:
        if len(enc.codes) == 0:
            return np.zeros(0)
        return self.calibrator(self.estimator.raw(enc))

    def predict(self, facts: Sequence[Any]) -> list[float]:
        return self.predict_encoded(self.space.encode(self.features(facts))).tolist()

    def predict_deals(self, deals: OpenDeals) -> list[float]:
        """`predict` for many open deals from their columns, without a feature dict per deal."""
        if self.kind != "deal":
            raise ValueError(f"a {self.kind} model cannot score deals")
        columns = deal_feature_columns(deals, self.norms or StageNorms(), self.space.groups)
        columns[BASE_FEATURE] = _prior_logits(self.prior, deals)
        return self.predict_encoded(self.space.encode_columns(columns, len(deals))).tolist()

    def explain(self, facts: DealFacts | LeadFacts, top: int = 3) -> list[str]:
        """The features that move this record's probability most, in words with their effect."""
        enc = self.space.encode(self.features([facts]))
        groups = self.space.groups
        batch = Encoded(
            np.repeat(enc.numeric, len(groups) + 1, axis=0),
            np.repeat(enc.codes, len(groups) + 1, axis=0),
        )
        for g in range(len(groups)):
            self.space.baseline(batch, g, row=g + 1)
        p = self.predict_encoded(batch)
        effects = sorted(
            ((p[0] - p[g + 1], g) for g in range(len(groups))), key=lambda e: -abs(e[0])
        )
        words = []
        for effect, g in effects[:top]:
            if abs(effect) < MIN_EFFECT:
                break
            words.append(f"{self._words(facts, enc, g)} ({effect * 100:+.0f} pts)")
        return words

    def _words(self, facts: DealFacts | LeadFacts, enc: Encoded, group: int) -> str:
        name = self.space.groups[group]
        if name == BASE_FEATURE:
            return self.prior.explain(facts, top=1)[0]
        value = self.space.value(enc, 0, group)
        if isinstance(facts, DealFacts) and self.norms is not None:
            return describe_deal_factor(name, facts, self.norms, value)
        return describe_value(name, value)

    def to_bytes(self) -> bytes:
        return pickle.dumps({"format": FORMAT, "model": self}, protocol=pickle.HIGHEST_PROTOCOL)


def load_model(blob: bytes) -> ProbabilityModel[Any]:
    """A stored model blob back as a model: base-rate JSON or a pickled learned model.

    Blobs are only ever written by our own trainer into our own database; pickle is not
    safe for blobs from anywhere else.
    """
    if blob[:1] == b"{":
        return base_rate_from_bytes(blob)
    payload = pickle.loads(blob)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError("model blob has an unknown format; retrain with `dealbot model train`")
    model: LearnedModel = payload["model"]
    return model
