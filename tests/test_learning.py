"""The learned models on synthetic histories with known true effects (tests/synthetic.py)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pytest

from bot.forecast import ModelForecaster
from bot.learning import SklearnTrainer, load_model
from core.base_rate import BaseRateDealModel, BaseRateLeadModel
from core.facts import LeadFacts, open_deals_from_facts
from core.history import DealExample, LeadExample, compute_stage_norms, deal_training_snapshots
from core.model import Lead
from core.norms import StageNorms
from core.ports import TrainedModel
from core.promotion import is_promoted
from core.stages import Pipeline
from handlers.models import SCORE_COLUMNS, TrainReport, score_records, train_models
from tests.synthetic import START, History, closed_history, open_pipeline


def _train(history: History) -> tuple[TrainedModel, StageNorms, list[DealExample]]:
    pipeline = Pipeline()
    examples = deal_training_snapshots(
        history.deals, history.changes, history.activities, history.accounts, pipeline
    )
    norms = compute_stage_norms(history.deals, history.changes, pipeline, examples)
    return SklearnTrainer().train_deals(examples, norms, history.open_facts), norms, examples


@pytest.fixture(scope="module")
def trained() -> tuple[TrainedModel, StageNorms, History]:
    history = closed_history(3000, seed=7)
    model, norms, _ = _train(history)
    return model, norms, history


def test_learned_model_ranks_better_than_base_rates(trained: Any) -> None:
    metrics = trained[0].metrics
    assert metrics["model"] in ("hist_gradient_boosting", "logistic_regression")
    assert metrics["holdout"]["auc"] > metrics["base_rate_model"]["auc"] + 0.02
    assert metrics["holdout"]["log_loss"] < metrics["base_rate_model"]["log_loss"]


def test_holdout_is_calibrated(trained: Any) -> None:
    table = trained[0].metrics["calibration_table"]
    gaps = np.array([abs(row["predicted"] - row["actual"]) for row in table])
    weights = np.array([row["n"] for row in table])
    assert len(table) == 10
    assert float((gaps * weights).sum() / weights.sum()) < 0.06
    assert gaps.max() < 0.15


def test_outcome_shaped_fields_are_screened_out(trained: Any) -> None:
    dropped = {d["feature"]: d["reason"] for d in trained[0].metrics["dropped"]}
    assert "blank or zero on 100% of lost" in dropped["log_amount"]
    assert "named like an outcome" in dropped["attr:lost_reason"]
    assert "attr:vertical" not in dropped and "attr:seats" not in dropped


def test_known_effects_point_the_right_way(trained: Any) -> None:
    model, _, history = trained
    facts = history.open_facts[0]
    fintech, retail = (
        dataclasses.replace(
            facts,
            deal=dataclasses.replace(
                facts.deal, attributes={**facts.deal.attributes, "vertical": v}
            ),
        )
        for v in ("fintech", "retail")
    )
    busy = dataclasses.replace(retail, touches_total=12, touches_30d=6, touches_14d=3)
    p_fintech, p_retail, p_busy = model.model.predict([fintech, retail, busy])
    assert p_fintech > p_retail and p_busy > p_retail
    assert all("pts)" in line for line in model.model.explain(fintech))


def test_a_field_that_is_the_outcome_is_dropped_as_too_good() -> None:
    history = closed_history(1500, seed=11)
    history.deals = [
        dataclasses.replace(d, attributes={**d.attributes, "segment": "A" if d.outcome else "B"})
        for d in history.deals
    ]
    dropped = {d["feature"] for d in _train(history)[0].metrics["dropped"]}
    assert "attr:segment" in dropped


def test_pure_noise_is_not_too_good() -> None:
    metrics = _train(closed_history(2500, seed=5, signal=False, flat=True))[0].metrics
    assert abs(metrics["holdout"]["auc"] - 0.5) < 0.08


def test_thin_history_falls_back_to_base_rates() -> None:
    trained, norms, examples = _train(closed_history(25, seed=2))
    assert trained.metrics["model"] == "base_rate"
    assert "using base rates" in trained.metrics["fallback"]
    facts = [e.facts for e in examples[:5]]
    assert trained.model.predict(facts) == [norms.win_rate(f.stage).rate for f in facts]
    assert "of the time here (n=" in trained.model.explain(facts[0])[0]


@pytest.mark.parametrize(("n", "seed"), [(300, 3), (700, 4), (2500, 5)])
def test_shipped_model_is_never_worse_than_base_rates_where_only_stage_matters(
    n: int, seed: int
) -> None:
    """Only the stage path carries signal here; a learned model must earn its place on holdout."""
    metrics = _train(closed_history(n, seed=seed, signal=False))[0].metrics
    assert "fallback" not in metrics
    base, learned = metrics["base_rate_model"], metrics["learned_model"]
    assert metrics["holdout"]["log_loss"] <= base["log_loss"]
    assert metrics["candidates"]["base_rate"] == base["log_loss"]
    if metrics["model"] == "base_rate":
        assert learned["log_loss"] >= base["log_loss"]
        assert metrics["kept"].startswith("base rates kept: learned model log-loss")
    else:
        assert metrics["holdout"]["log_loss"] == learned["log_loss"] < base["log_loss"]


@pytest.mark.parametrize(("seed", "linger"), [(1, 1.0), (2, 4.0)])
def test_open_pipeline_is_calibrated(seed: int, linger: float) -> None:
    """Mean p over the deals open at a moment matches how many of them went on to win.

    Won deals leave more snapshots than lost ones; this is the check that they do not inflate
    the probability of open deals (with `linger`, lost deals also stay open longer).
    """
    full = closed_history(3000, seed=seed, linger=linger)
    cutoff = START + timedelta(days=480)
    history = dataclasses.replace(
        full,
        deals=[d for d in full.deals if d.closed_at is not None and d.closed_at < cutoff],
        changes=[c for c in full.changes if c.changed_at < cutoff],
    )
    trained = _train(history)[0]
    facts, won = [], []
    for days in (480, 510, 540):
        pipeline = open_pipeline(full, START + timedelta(days=days))
        facts += pipeline[0]
        won += pipeline[1]
    assert trained.metrics["model"] != "base_rate" and len(won) > 500
    assert abs(np.mean(trained.model.predict(facts)) - np.mean(won)) < 0.05


def _leads(n: int) -> list[LeadExample]:
    examples = []
    for i in range(n):
        created = START + timedelta(days=i)
        source = ("web", "event")[i % 2]
        lead = Lead(name=f"Lead {i}", created_at=created, id=i + 1, source=source)
        facts = LeadFacts(lead, created + timedelta(days=1), signals_total=i % 3)
        examples.append(LeadExample(facts, i % 5 < 2, created))
    return examples


def test_fifty_leads_ship_base_rates() -> None:
    trained = SklearnTrainer().train_leads(_leads(50), [])
    assert trained.metrics["model"] == "base_rate"
    assert "only 50 closed leads (need 200)" in trained.metrics["fallback"]
    facts = [e.facts for e in _leads(50)[:4]]
    assert trained.model.predict(facts) == pytest.approx([0.4, 0.4, 0.4, 0.4], abs=0.05)


def test_report_says_plainly_when_base_rates_are_kept() -> None:
    metrics = {
        "model": "base_rate",
        "examples": 779,
        "kept": "base rates kept: learned model log-loss 0.61 vs 0.52 for base rates on the holdout",
        "base_rate_model": {"auc": 0.83, "log_loss": 0.52},
        "learned_model": {"model": "hist_gradient_boosting+sigmoid", "auc": 0.68, "log_loss": 0.61},
    }
    lines = TrainReport(START, {"deal": 1}, {"deal": metrics}).lines()
    assert "base rates kept: learned model log-loss 0.61 vs 0.52" in lines[0]
    assert "holdout AUC 0.83, log-loss 0.52" in lines[1]


def test_models_survive_serialisation(trained: Any) -> None:
    model, norms, history = trained
    facts = history.open_facts[:50]
    restored = load_model(model.model.to_bytes())
    assert restored.predict(facts) == pytest.approx(model.model.predict(facts))
    base = BaseRateDealModel(norms)
    assert load_model(base.to_bytes()).predict(facts) == base.predict(facts)


class _Versions:
    def __init__(self) -> None:
        self.rows: list[tuple[str, dict[str, Any], bytes]] = []

    def add(self, *, kind: str, trained_at: datetime, metrics: dict[str, Any], blob: bytes) -> int:
        self.rows.append((kind, metrics, blob))
        return len(self.rows)

    def latest(self, kind: str) -> tuple[int, dict[str, Any], bytes] | None:
        found = [
            (i + 1, m, b) for i, (k, m, b) in enumerate(self.rows) if k == kind and is_promoted(m)
        ]
        return found[-1] if found else None


class _Unit:
    """The repository calls `train_models` and `score_records` make, over a synthetic history."""

    def __init__(self, history: History, versions: _Versions) -> None:
        self.history, self.model_versions, self.committed = history, versions, False
        self.deals, self.accounts, self.activities = self, self, self
        self.leads, self.signals = _NoLeads(), _NoLeads()

    def __enter__(self) -> _Unit:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def commit(self) -> None:
        self.committed = True

    def list_closed(self) -> list[Any]:
        return self.history.deals

    def stage_changes(self, deal_ids: Any = None) -> list[Any]:
        return self.history.changes

    def for_deals(self, deal_ids: Any = None) -> list[Any]:
        return self.history.activities

    def for_leads(self, lead_ids: Any = None) -> list[Any]:
        return []

    def list(self) -> Any:
        return self.history.accounts

    def open_facts(self, *, owner_ids: Any, at: datetime) -> Any:
        return self.history.open_facts


class _NoLeads:
    def list_closed(self) -> list[Any]:
        return []

    def for_leads(self, lead_ids: Any = None) -> list[Any]:
        return []

    def open_facts(self, *, owner_ids: Any, at: datetime) -> list[Any]:
        return []


class _Clock:
    def now(self) -> datetime:
        return START + timedelta(days=730)


def test_train_then_score_through_the_handlers() -> None:
    unit = _Unit(closed_history(800, seed=9), _Versions())
    report = train_models(lambda: unit, SklearnTrainer(), _Clock(), model_loader=load_model)  # type: ignore[arg-type, return-value]
    assert unit.committed and set(report.versions) == {"deal", "lead"}
    assert report.metrics["lead"]["model"] == "base_rate"
    rows = score_records("deals", lambda: unit, load_model, _Clock().now())  # type: ignore[arg-type, return-value]
    assert len(rows) == len(unit.history.open_facts)
    assert all(0 < r.probability < 1 and (r.expected_days or 0) >= 1 for r in rows)
    assert len(rows[0].as_csv()) == len(SCORE_COLUMNS)
    text = "\n".join(report.lines())
    assert "holdout AUC" in text and "log-loss" in text and "base rates" in text


def test_the_model_scores_columns_exactly_as_it_scores_facts(trained: Any) -> None:
    model, norms, history = trained
    facts = history.open_facts
    deals = open_deals_from_facts(facts, facts[0].as_of)
    assert model.model.predict_deals(deals) == model.model.predict(facts)


@pytest.mark.parametrize("learned", [True, False])
def test_the_forecaster_gives_the_same_outlooks_from_columns(trained: Any, learned: bool) -> None:
    model, norms, history = trained
    deal_model = model.model if learned else BaseRateDealModel(norms)
    forecaster = ModelForecaster(deal_model, BaseRateLeadModel(), norms, Pipeline())
    as_of = history.open_facts[0].as_of
    # close dates passed, near, plausible, too far and unset: every branch of expected days
    closes = [None, *((as_of + timedelta(days=d)).date() for d in range(-30, 150, 20))]
    facts = [
        dataclasses.replace(
            f, deal=dataclasses.replace(f.deal, expected_close=closes[i % len(closes)])
        )
        for i, f in enumerate(history.open_facts)
    ]
    outlooks = forecaster.deal_outlooks(facts)
    columns = forecaster.deal_outlook_columns(open_deals_from_facts(facts, as_of))
    assert list(columns.p_win) == [outlooks[f.deal.id].p_win for f in facts]  # type: ignore[index]
    assert list(columns.expected_days) == [
        outlooks[f.deal.id].expected_days  # type: ignore[index]
        for f in facts
    ]
