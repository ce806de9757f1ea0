"""The forecaster the ranking runs on: the latest stored deal and lead models, or base rates."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.learning.model import LearnedModel, load_model
from core.base_rate import BaseRateDealModel, BaseRateLeadModel
from core.facts import DealFacts, LeadFacts, OpenDeals
from core.norms import (
    EXPECTED_CLOSE_SLACK,
    MAX_PLAUSIBLE_DAYS,
    STALE_FLOOR_DAYS,
    STALE_FLOOR_SHARE,
    StageNorms,
    default_stage_norms,
    expected_days_to_close,
)
from core.ports import ProbabilityModel, UnitOfWork
from core.ranking import QUIET_FLOOR_DAYS, DealOutlook, LeadOutlook, OutlookColumns
from core.stages import Pipeline

log = logging.getLogger(__name__)

QUIET_TOUCH_GAPS = 2.0
"""A deal has gone quiet after this many of its stage's typical gaps between touches."""
DEFAULT_LEAD_VALUE = 10_000.0


@dataclass(frozen=True)
class ModelForecaster:
    deal_model: ProbabilityModel[DealFacts]
    lead_model: ProbabilityModel[LeadFacts]
    norms: StageNorms
    pipeline: Pipeline

    def deal_outlooks(self, facts: Sequence[DealFacts]) -> dict[int, DealOutlook]:
        if not facts:
            return {}
        probabilities = self.deal_model.predict(facts)
        return {
            f.deal.id: DealOutlook(p, expected_days_to_close(f, self.norms, self.pipeline))
            for f, p in zip(facts, probabilities, strict=True)
            if f.deal.id is not None
        }

    def deal_outlook_columns(self, deals: OpenDeals) -> OutlookColumns:
        """`deal_outlooks` for many deals at once, from their columns, in their order."""
        return OutlookColumns(
            self._win_probabilities(deals),
            expected_days_columns(deals, self.norms, self.pipeline),
        )

    def _win_probabilities(self, deals: OpenDeals) -> list[float]:
        if not len(deals):
            return []
        if isinstance(self.deal_model, LearnedModel):
            return self.deal_model.predict_deals(deals)
        if isinstance(self.deal_model, BaseRateDealModel):
            rate = {stage: self.deal_model.norms.win_rate(stage).rate for stage in set(deals.stage)}
            return [rate[stage] for stage in deals.stage]
        return self.deal_model.predict([deals.facts(i) for i in range(len(deals))])

    def lead_outlooks(self, facts: Sequence[LeadFacts]) -> dict[int, LeadOutlook]:
        if not facts:
            return {}
        value = self.norms.median_amount or DEFAULT_LEAD_VALUE
        days = self.norms.typical_cycle_days
        probabilities = self.lead_model.predict(facts)
        return {
            f.lead.id: LeadOutlook(p, value, days)
            for f, p in zip(facts, probabilities, strict=True)
            if f.lead.id is not None
        }

    def quiet_after_days(self) -> dict[str, float]:
        return {
            stage: max(QUIET_FLOOR_DAYS, QUIET_TOUCH_GAPS * self.norms.touch_gap(stage))
            for stage in self.pipeline.open_stages
        }

    def explain_deal(self, facts: DealFacts, top: int = 3) -> list[str]:
        return self.deal_model.explain(facts, top)


def expected_days_columns(deals: OpenDeals, norms: StageNorms, pipeline: Pipeline) -> list[float]:
    """`expected_days_to_close` of each deal, with the stage's norms worked out once per stage."""
    typical, cap, floor = {}, {}, {}
    for stage in set(deals.stage):
        typical[stage], cap[stage], floor[stage] = _close_norms(stage, norms, pipeline)
    return [
        float(to_close)
        if to_close is not None and 1 <= to_close <= cap[stage]
        else max(floor[stage], typical[stage] - in_stage)
        for stage, to_close, in_stage in zip(
            deals.stage, deals.days_to_close, deals.days_in_stage, strict=True
        )
    ]


def _close_norms(stage: str, norms: StageNorms, pipeline: Pipeline) -> tuple[float, float, float]:
    """Typical remaining days, the cap on a plausible close date and the stalled-deal floor."""
    typical = norms.remaining(pipeline.canonical(stage) or stage)
    cap = min(MAX_PLAUSIBLE_DAYS, max(30.0, EXPECTED_CLOSE_SLACK * typical))
    return typical, cap, max(STALE_FLOOR_DAYS, STALE_FLOOR_SHARE * typical)


def load_forecaster(
    uow_factory: Callable[[], UnitOfWork], pipeline: Pipeline | None = None
) -> ModelForecaster:
    """The newest trained models from the database; base rates where none was trained yet."""
    pipeline = pipeline or Pipeline()
    with uow_factory() as uow:
        deal_blob = uow.model_versions.latest("deal")
        lead_blob = uow.model_versions.latest("lead")
    deal_model: Any = _readable(deal_blob, "deal")
    norms = getattr(deal_model, "norms", None) or default_stage_norms(pipeline)
    if deal_model is None:
        deal_model = BaseRateDealModel(norms)
    lead_model: Any = _readable(lead_blob, "lead") or BaseRateLeadModel()
    return ModelForecaster(deal_model, lead_model, norms, pipeline)


def _readable(stored: tuple[int, Any, bytes] | None, kind: str) -> ProbabilityModel[Any] | None:
    """The stored model, or None (base rates) when there is none or it no longer loads."""
    if stored is None:
        return None
    try:
        return load_model(stored[2])
    except Exception as error:  # a blob from an older format or a broken write: rank, don't fail
        log.warning(
            "%s model v%s cannot be loaded (%s); ranking on base rates", kind, stored[0], error
        )
        return None
