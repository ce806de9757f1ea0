"""The promotion gate: a retrained model goes live only if it is not worse on the newest outcomes."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score

from bot.cli import main
from bot.learning import SklearnTrainer, load_model
from core.facts import DealFacts, LeadFacts
from core.history import DealExample, LeadExample
from core.norms import StageNorms
from core.ports import TrainedModel
from core.promotion import HoldoutScore, auc, brier, decide, holdout_indices
from handlers.model_promotion import judge_candidate, model_report
from handlers.models import train_models
from storage.db import create_engine_for, create_schema
from storage.uow import UnitOfWorkFactory
from tests.synthetic import closed_history
from tests.test_learning import _Clock, _Unit, _Versions


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_auc_and_brier_match_scikit_learn(seed):
    rng = random.Random(seed)
    labels = [rng.random() < 0.3 for _ in range(400)]
    scores = [round(rng.random() * 0.5 + 0.3 * y, 1) for y in labels]  # many ties
    assert auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores))
    assert brier(labels, scores) == pytest.approx(brier_score_loss(labels, scores))
    assert auc([True, True], [0.1, 0.2]) is None


def test_the_holdout_is_the_newest_fifth_keeping_equal_times_together():
    assert holdout_indices([5.0, 1.0, 4.0, 2.0, 3.0, 0.0, 9.0, 8.0, 7.0, 6.0]) == [6, 7]
    assert holdout_indices([1.0, 2.0, 2.0, 2.0, 2.0]) == [1, 2, 3, 4]
    assert holdout_indices([]) == []


LIVE = HoldoutScore(200, 0.75, 0.18)


@pytest.mark.parametrize(
    ("candidate", "live", "version", "promoted", "words"),
    [
        (HoldoutScore(200, 0.60, 0.22), None, None, True, "first model"),
        (HoldoutScore(200, 0.745, 0.183), LIVE, 4, True, "not worse than live v4"),
        (HoldoutScore(200, 0.80, 0.17), LIVE, 4, True, "not worse"),
        (HoldoutScore(200, 0.73, 0.18), LIVE, 4, False, "AUC 0.730 vs 0.750"),
        (HoldoutScore(200, 0.75, 0.19), LIVE, 4, False, "Brier 0.1900 vs 0.1800"),
        (HoldoutScore(10, 0.50, 0.30), LIVE, 4, True, "fewer than 20 recent outcomes"),
        (HoldoutScore(200, 0.50, 0.30), None, 4, True, "live v4 cannot be loaded"),
    ],
)
def test_the_rule(candidate, live, version, promoted, words):
    decision = decide(candidate, live, live_version=version)
    assert decision.promoted is promoted and words in decision.reason


class ShuffledTrainer:
    """A deliberately worse trainer: the same learner on labels shuffled across examples."""

    def __init__(self) -> None:
        self.inner, self.rng = SklearnTrainer(), random.Random(0)

    def _shuffled(self, labels: list[bool]) -> list[bool]:
        self.rng.shuffle(labels)
        return labels

    def train_deals(
        self, examples: Sequence[DealExample], norms: StageNorms, open_facts: Sequence[DealFacts]
    ) -> TrainedModel:
        labels = self._shuffled([e.won for e in examples])
        noisy = [e._replace(won=y) for e, y in zip(examples, labels, strict=True)]
        return self.inner.train_deals(noisy, norms, open_facts)

    def train_leads(
        self, examples: Sequence[LeadExample], open_facts: Sequence[LeadFacts]
    ) -> TrainedModel:
        return self.inner.train_leads(examples, open_facts)


def test_a_worse_candidate_is_kept_out_and_a_better_one_goes_live():
    versions = _Versions()
    unit = _Unit(closed_history(900, seed=9), versions)
    factory: Any = lambda: unit  # noqa: E731

    def train(trainer: Any) -> Any:
        return train_models(factory, trainer, _Clock(), model_loader=load_model)

    first = train(ShuffledTrainer())
    assert first.promotions["deal"].promoted and "first model" in first.promotions["deal"].reason
    better = train(SklearnTrainer())
    decision = better.promotions["deal"]
    assert decision.promoted, decision.reason
    assert decision.candidate and decision.live and decision.candidate.auc > decision.live.auc
    assert unit.model_versions.latest("deal")[0] == better.versions["deal"]
    worse = train(ShuffledTrainer())
    decision = worse.promotions["deal"]
    assert not decision.promoted and "worse than live" in decision.reason
    assert decision.live_version == better.versions["deal"]
    assert unit.model_versions.latest("deal")[0] == better.versions["deal"]
    stored = versions.rows[worse.versions["deal"] - 1][1]
    assert stored["promotion"]["promoted"] is False and stored["promotion"]["candidate"]["auc"]
    assert any("not promoted (the live one stays)" in line for line in worse.lines())


NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def _metrics(promoted: bool | None, auc_value: float) -> dict[str, Any]:
    metrics: dict[str, Any] = {"model": "logistic_regression", "examples": 500}
    metrics["holdout"] = {"examples": 100, "auc": auc_value, "brier": 0.2}
    if promoted is not None:
        metrics["promotion"] = {
            "promoted": promoted,
            "reason": "worse than live v1 on the holdout" if not promoted else "not worse",
            "candidate": {"examples": 100, "auc": auc_value, "brier": 0.2},
        }
    return metrics


def test_the_live_version_is_the_newest_promoted_one(database_url):
    engine = create_engine_for(database_url)
    create_schema(engine)
    factory = UnitOfWorkFactory(engine)
    with factory() as uow:
        for hours, promoted, auc_value, blob in (
            (0, None, 0.70, b"old"),
            (1, True, 0.72, b"good"),
            (2, False, 0.55, b"worse"),
        ):
            uow.model_versions.add(
                kind="deal",
                trained_at=NOW + timedelta(hours=hours),
                metrics=_metrics(promoted, auc_value),
                blob=blob,
            )
        uow.model_versions.add(kind="lead", trained_at=NOW, metrics=_metrics(False, 0.5), blob=b"x")
        uow.commit()
    with factory() as uow:
        live = uow.model_versions.latest("deal")
        assert live is not None and live[0] == 2 and live[2] == b"good"
        assert uow.model_versions.latest("lead") is None
        assert [v.id for v in uow.model_versions.history("deal")] == [3, 2, 1]
    lines = model_report(factory)
    assert [(line.kind, line.id, line.live, line.promoted) for line in lines] == [
        ("deal", 3, False, False),
        ("deal", 2, True, True),
        ("deal", 1, False, True),
        ("lead", 4, False, False),
    ]
    assert lines[0].reason.startswith("worse than live") and lines[0].auc == 0.55
    assert lines[2].reason == "stored before promotion checks"
    engine.dispose()


def test_model_report_on_the_command_line(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'models.db'}"
    assert main(["--database-url", url, "model", "report"]) == 0
    assert "No model versions yet" in capsys.readouterr().out
    engine = create_engine_for(url)
    with UnitOfWorkFactory(engine)() as uow:
        uow.model_versions.add(kind="deal", trained_at=NOW, metrics=_metrics(True, 0.7), blob=b"")
        uow.model_versions.add(
            kind="deal", trained_at=NOW + timedelta(1), metrics=_metrics(False, 0.6), blob=b""
        )
        uow.commit()
    engine.dispose()
    assert main(["--database-url", url, "model", "report"]) == 0
    out = capsys.readouterr().out
    assert "deal v1 (live): 2026-11-23 08:00 UTC, logistic_regression, 100 examples" in out
    assert "deal v2: " in out and "AUC 0.600, Brier 0.2000, rejected: worse than live v1" in out
    assert main(["--database-url", url, "model", "report", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["id"], r["live"], r["promoted"]) for r in rows] == [
        (2, False, False),
        (1, True, True),
    ]


def test_the_live_version_is_found_behind_many_rejected_ones(database_url):
    engine = create_engine_for(database_url)
    create_schema(engine)
    factory = UnitOfWorkFactory(engine)
    with factory() as uow:
        uow.model_versions.add(kind="deal", trained_at=NOW, metrics=_metrics(True, 0.7), blob=b"ok")
        for night in range(1, 20):
            uow.model_versions.add(
                kind="deal",
                trained_at=NOW + timedelta(days=night),
                metrics=_metrics(False, 0.5),
                blob=b"no",
            )
        uow.model_versions.add(kind="lead", trained_at=NOW, metrics=_metrics(False, 0.5), blob=b"")
        uow.commit()
    with factory() as uow:
        assert uow.model_versions.latest("deal") == (1, _metrics(True, 0.7), b"ok")
        assert uow.model_versions.latest("lead") is None
    engine.dispose()


class _Constant:
    """A model that gives every example the same probability."""

    def __init__(self, p: float) -> None:
        self.p = p

    def predict(self, facts: Sequence[Any]) -> list[float]:
        return [self.p for _ in facts]


class _CannotPredict:
    def predict(self, facts: Sequence[Any]) -> list[float]:
        raise ValueError("a feature this version needs is gone")


def test_a_live_model_that_loads_but_cannot_predict_is_no_bar_to_clear():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    examples = [(n, n % 3 == 0, start + timedelta(days=n)) for n in range(1000)]
    promotion = judge_candidate(
        _Constant(0.33), (4, {}, b"blob"), examples, lambda blob: _CannotPredict()
    )
    assert promotion.promoted and "live v4 cannot be loaded" in promotion.reason
