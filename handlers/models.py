"""`dealbot model train` and `dealbot model score`: retrain the win and conversion models, score.

Training reads closed history in one unit of work, builds leak-free examples in core, hands them
to the trainer (scikit-learn lives behind `core.ports.ModelTrainer`), and stores each model as
a new version in a second, short unit of work, so a long fit never holds a transaction open.
Each new version goes live only when it is not worse than the live one on the newest outcomes
(handlers.model_promotion); a rejected one is stored with its figures and the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.base_rate import BaseRateDealModel, BaseRateLeadModel
from core.facts import DealFacts, LeadFacts
from core.history import (
    compute_stage_norms,
    deal_training_snapshots,
    expected_days_to_close,
    lead_training_snapshots,
)
from core.norms import StageNorms, default_stage_norms
from core.ports import Clock, ModelLoader, ModelTrainer, ProbabilityModel, TrainedModel, UnitOfWork
from core.promotion import Promotion
from core.ranking import expected_value
from core.stages import Pipeline
from handlers.model_promotion import judge_candidate

DEAL, LEAD = "deal", "lead"
SCORE_COLUMNS = ("id", "external_id", "probability", "expected_days", "expected_value")


@dataclass(frozen=True, slots=True)
class TrainReport:
    """The stored model versions and their metrics (holdout AUC, calibration, dropped features)."""

    trained_at: datetime
    versions: dict[str, int]
    metrics: dict[str, dict[str, Any]]
    promotions: dict[str, Promotion] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """A short human summary per model, for the CLI: holdout figures against base rates."""
        out = []
        for kind, metrics in self.metrics.items():
            head = f"{kind} model v{self.versions[kind]}: {metrics.get('model')}"
            if "fallback" in metrics:
                out.append(f"{head} ({metrics['fallback']})")
                continue
            base = metrics.get("base_rate_model", {})
            learned = metrics.get("learned_model", {})
            if "kept" in metrics:
                out.append(f"{head}, {metrics.get('examples')} examples; {metrics['kept']}")
                out.append(
                    f"  holdout AUC {base.get('auc')}, log-loss {base.get('log_loss')} "
                    f"(best learned, {learned.get('model')}: AUC {learned.get('auc')}, "
                    f"log-loss {learned.get('log_loss')})"
                )
            else:
                holdout = metrics.get("holdout", {})
                out.append(
                    f"{head}, {metrics.get('examples')} examples, holdout AUC "
                    f"{holdout.get('auc')}, log-loss {holdout.get('log_loss')} "
                    f"(base rates: AUC {base.get('auc')}, log-loss {base.get('log_loss')})"
                )
            if metrics.get("holdout_by", "time") != "time":
                out.append(
                    f"  holdout split by {metrics['holdout_by']}: the records carry no dates"
                )
            out += [f"  dropped {d['feature']}: {d['reason']}" for d in metrics.get("dropped", [])]
            if (promotion := self.promotions.get(kind)) is not None:
                verdict = "promoted" if promotion.promoted else "not promoted (the live one stays)"
                out.append(f"  {verdict}: {promotion.reason}")
        return out


def train_models(
    uow_factory: Callable[[], UnitOfWork],
    trainer: ModelTrainer,
    clock: Clock,
    *,
    model_loader: ModelLoader,
    pipeline: Pipeline | None = None,
) -> TrainReport:
    """Retrain the deal and lead models from closed history and store them as new versions;
    each goes live only if it is not worse than the live one on the newest outcomes."""
    pipeline = pipeline or Pipeline()
    now = clock.now()
    with uow_factory() as uow:
        deals = uow.deals.list_closed()
        closed_ids = [deal.id for deal in deals if deal.id is not None]
        changes = uow.deals.stage_changes(closed_ids)
        deal_activities = uow.activities.for_deals(closed_ids)
        accounts = uow.accounts.list()
        open_deals = uow.deals.open_facts(owner_ids=None, at=now)
        leads = uow.leads.list_closed()
        signals = uow.signals.for_leads([lead.id for lead in leads if lead.id is not None])
        lead_activities = uow.activities.for_leads(
            [lead.id for lead in leads if lead.id is not None]
        )
        open_leads = uow.leads.open_facts(owner_ids=None, at=now)
        live = {kind: uow.model_versions.latest(kind) for kind in (DEAL, LEAD)}
    examples = deal_training_snapshots(deals, changes, deal_activities, accounts, pipeline)
    norms = compute_stage_norms(deals, changes, pipeline, examples)
    lead_examples = lead_training_snapshots(leads, signals, lead_activities, accounts)
    deal_model = trainer.train_deals(examples, norms, open_deals)
    lead_model = trainer.train_leads(lead_examples, open_leads)
    promotions = {
        DEAL: judge_candidate(
            deal_model.model,
            live[DEAL],
            [(e.facts, e.won, e.label_time) for e in examples],
            model_loader,
        ),
        LEAD: judge_candidate(
            lead_model.model,
            live[LEAD],
            [(e.facts, e.converted, e.label_time) for e in lead_examples],
            model_loader,
        ),
    }
    return _store(uow_factory, [deal_model, lead_model], promotions, now)


def _store(
    uow_factory: Callable[[], UnitOfWork],
    trained: list[TrainedModel],
    promotions: dict[str, Promotion],
    now: datetime,
) -> TrainReport:
    versions: dict[str, int] = {}
    with uow_factory() as uow:
        for model in trained:
            metrics = {**model.metrics, "promotion": promotions[model.kind].to_dict()}
            versions[model.kind] = uow.model_versions.add(
                kind=model.kind, trained_at=now, metrics=metrics, blob=model.model.to_bytes()
            )
        uow.commit()
    return TrainReport(now, versions, {m.kind: m.metrics for m in trained}, promotions)


@dataclass(frozen=True, slots=True)
class ScoreRow:
    """One open record's probability; deals also carry expected days and expected value."""

    id: int | None
    external_id: str | None
    probability: float
    expected_days: float | None = None
    expected_value: float | None = None

    def as_csv(self) -> list[str]:
        """Cells in `SCORE_COLUMNS` order (blank for unknown)."""
        cells = (
            self.id,
            self.external_id,
            round(self.probability, 4),
            None if self.expected_days is None else round(self.expected_days, 1),
            None if self.expected_value is None else round(self.expected_value, 2),
        )
        return ["" if c is None else str(c) for c in cells]


def _kind(kind: str) -> str:
    key = kind.lower().rstrip("s")
    if key not in (DEAL, LEAD):
        raise ValueError(f"Unknown record kind {kind!r}: score 'deals' or 'leads'.")
    return key


def score_records(
    kind: str,
    uow_factory: Callable[[], UnitOfWork],
    model_loader: ModelLoader,
    at: datetime,
    *,
    pipeline: Pipeline | None = None,
) -> list[ScoreRow]:
    """Probabilities for every open deal or lead as of `at`, from the latest stored model.

    Without a stored model it scores with default base rates, so a fresh install still works.
    """
    key = _kind(kind)
    pipeline = pipeline or Pipeline()
    with uow_factory() as uow:
        stored = uow.model_versions.latest(key)
        if key == DEAL:
            facts: list[Any] = uow.deals.open_facts(owner_ids=None, at=at)
        else:
            facts = uow.leads.open_facts(owner_ids=None, at=at)
    model = model_loader(stored[2]) if stored else _default_model(key, pipeline)
    probabilities = model.predict(facts)
    if key == LEAD:
        return [_lead_row(f, p) for f, p in zip(facts, probabilities, strict=True)]
    norms = getattr(model, "norms", None) or default_stage_norms(pipeline)
    return [_deal_row(f, p, norms, pipeline) for f, p in zip(facts, probabilities, strict=True)]


def _default_model(kind: str, pipeline: Pipeline) -> ProbabilityModel[Any]:
    if kind == DEAL:
        return BaseRateDealModel(default_stage_norms(pipeline))
    return BaseRateLeadModel()


def _deal_row(facts: DealFacts, p: float, norms: StageNorms, pipeline: Pipeline) -> ScoreRow:
    days = expected_days_to_close(facts, norms, pipeline)
    value = expected_value(facts.amount, p, days)
    return ScoreRow(facts.deal.id, facts.deal.external_id, p, days, value)


def _lead_row(facts: LeadFacts, p: float) -> ScoreRow:
    return ScoreRow(facts.lead.id, facts.lead.external_id, p)
