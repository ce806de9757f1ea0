"""Training and batch-scoring speed on synthetic deal histories (prints figures, asserts nothing).

Run from the repository root: `python -m bench.bench_train` or `python bench/bench_train.py`.
Budget: `dealbot model train` under 60 s on 50,000 closed deals on 2 cores; ranking scores
400,000 open deals in a few seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.learning import SklearnTrainer, load_model  # noqa: E402
from core.history import compute_stage_norms, deal_training_snapshots  # noqa: E402
from core.ports import TrainedModel  # noqa: E402
from core.stages import Pipeline  # noqa: E402
from tests.synthetic import closed_history  # noqa: E402


def train(n: int, n_open: int) -> tuple[float, int, TrainedModel, list]:
    """Seconds from closed history to a trained model (snapshots, norms, screen, fit, calibrate)."""
    history = closed_history(n, seed=1, n_open=n_open)
    started = time.perf_counter()
    pipeline = Pipeline()
    examples = deal_training_snapshots(
        history.deals, history.changes, history.activities, history.accounts, pipeline
    )
    norms = compute_stage_norms(history.deals, history.changes, pipeline, examples)
    trained = SklearnTrainer().train_deals(examples, norms, history.open_facts)
    return time.perf_counter() - started, len(examples), trained, history.open_facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deals", type=int, default=50_000)
    parser.add_argument("--baseline", type=int, default=5_000)
    parser.add_argument("--score", type=int, default=400_000, help="open deals to batch-score")
    parser.add_argument(
        "--from-db", action="store_true", help="also time `model train` end to end from SQLite"
    )
    args = parser.parse_args()
    figures = {}
    for n in (args.baseline, args.deals):
        seconds, examples, trained, _ = train(n, 2_000)
        figures[n] = seconds
        holdout = trained.metrics.get("holdout", {})
        print(
            f"train {n:>7,} closed deals: {seconds:6.1f} s, {examples:,} examples "
            f"({examples / seconds:,.0f}/s), model {trained.metrics['model']}, "
            f"holdout AUC {holdout.get('auc')}"
        )
    ratio = figures[args.deals] / figures[args.baseline]
    print(f"ratio {args.deals:,} / {args.baseline:,} deals: {ratio:.1f}x the time")
    _, _, trained, _ = train(args.baseline, 0)
    opened = closed_history(1, seed=2, n_open=args.score).open_facts
    started = time.perf_counter()
    probabilities = trained.model.predict(opened)
    seconds = time.perf_counter() - started
    rate = len(opened) / seconds
    print(f"score {len(probabilities):,} open deals: {seconds:.1f} s ({rate:,.0f}/s)")
    started = time.perf_counter()
    for facts in opened[:20]:
        trained.model.explain(facts)
    print(f"explain 20 deals: {(time.perf_counter() - started) * 1000:.0f} ms")
    if args.from_db:
        for n in (args.baseline, args.deals):
            print(f"dealbot model train, {n:,} closed deals in SQLite: {train_from_db(n):.1f} s")


def train_from_db(closed: int) -> float:
    """The whole `dealbot model train`: load history from the database, train, store."""
    import tempfile
    from datetime import UTC, datetime

    from bench.synthetic import Shape, write_synthetic
    from handlers.models import train_models
    from storage.db import create_engine_for, create_schema
    from storage.uow import UnitOfWorkFactory

    now = datetime(2026, 11, 23, 8, tzinfo=UTC)

    class Clock:
        def now(self) -> datetime:
            return now

    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine_for(f"sqlite:///{folder}/train.db")
        create_schema(engine)
        shape = Shape(reps=100, open_deals_per_rep=20, closed_deals=closed)
        write_synthetic(engine, shape=shape, seed=1, now=now)
        started = time.perf_counter()
        train_models(UnitOfWorkFactory(engine), SklearnTrainer(), Clock(), model_loader=load_model)
        seconds = time.perf_counter() - started
        engine.dispose()
    return seconds


if __name__ == "__main__":
    main()
