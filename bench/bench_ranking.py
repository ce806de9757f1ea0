"""Ranked lists for every rep, built from the database (prints figures, asserts nothing).

Target: 2,000 reps x 200 open deals (400,000 deals with activities) in under 10 s on 2 cores.
Prints the split between loading (SQL + building facts) and scoring (model + ranking), the peak
memory, and the same pipeline on a tenth of the reps in the same process as a baseline ratio.

    python -m bench.bench_ranking [--url sqlite:////tmp/dealbot-bench.db] [--reps 2000] [--deals 200]

The synthetic database is written once (about 40 s) and reused while its shape matches.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic import Shape, write_synthetic  # noqa: E402
from bot.forecast import load_forecaster  # noqa: E402
from bot.learning.model import load_model  # noqa: E402
from bot.learning.trainer import SklearnTrainer  # noqa: E402
from core.bulk_ranking import build_action_lists  # noqa: E402
from core.facts import DealFacts  # noqa: E402
from core.ranking import build_action_list  # noqa: E402
from handlers.action_list import ranked_actions_for_all  # noqa: E402
from handlers.models import train_models  # noqa: E402
from storage.db import create_engine_for, create_schema  # noqa: E402
from storage.uow import UnitOfWorkFactory  # noqa: E402

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


class FixedClock:
    def now(self) -> datetime:
        return NOW


def prepare(url: str, shape: Shape) -> UnitOfWorkFactory:
    engine = create_engine_for(url)
    create_schema(engine)
    with engine.connect() as conn:
        reps = conn.exec_driver_sql("select count(*) from rep").scalar() or 0
    if reps == 0:
        written = write_synthetic(engine, shape=shape, seed=1, now=NOW)
        print(f"wrote synthetic data in {written.seconds:.1f} s: {written.counts}")
    elif reps != shape.reps:
        raise SystemExit(
            f"{url} holds {reps} reps, not {shape.reps}; delete it or pick another --url"
        )
    uow_factory = UnitOfWorkFactory(engine)
    with uow_factory() as uow:
        trained = uow.model_versions.latest("deal") is not None
    if not trained:
        started = time.perf_counter()
        train_models(uow_factory, SklearnTrainer(), FixedClock(), model_loader=load_model)
        print(f"trained models on the closed history in {time.perf_counter() - started:.1f} s")
    return uow_factory


def rank_everyone(uow_factory: UnitOfWorkFactory, owner_ids: list[int] | None) -> dict[str, float]:
    """The digest's work for these reps: load columns, predict in one batch, rank per rep."""
    forecaster = load_forecaster(uow_factory)
    started = time.perf_counter()
    with uow_factory() as uow:
        deals = uow.deals.open_deals(owner_ids=owner_ids, at=NOW)
        hidden = uow.actions.hidden_by_rep(at=NOW, rep_ids=owner_ids)
    loaded = time.perf_counter()
    outlooks = forecaster.deal_outlook_columns(deals)
    predicted = time.perf_counter()
    lists = build_action_lists(
        rep_ids=sorted({owner for owner in deals.owner_id if owner is not None}),
        deals=deals,
        deal_outlooks=outlooks,
        quiet_after_days=forecaster.quiet_after_days(),
        hidden=hidden,
        limit=10,
    )
    ranked = time.perf_counter()
    return _figures(len(deals), len(lists), started, loaded, predicted, ranked)


def rank_everyone_per_deal(
    uow_factory: UnitOfWorkFactory, owner_ids: list[int] | None
) -> dict[str, float]:
    """The same lists through a `DealFacts` and a feature dict per deal (the reference path)."""
    forecaster = load_forecaster(uow_factory)
    started = time.perf_counter()
    with uow_factory() as uow:
        deals = uow.deals.open_facts(owner_ids=owner_ids, at=NOW)
        hidden = uow.actions.hidden_by_rep(at=NOW, rep_ids=owner_ids)
    loaded = time.perf_counter()
    outlooks = forecaster.deal_outlooks(deals)
    predicted = time.perf_counter()
    by_rep: dict[int, list[DealFacts]] = {}
    for facts in deals:
        by_rep.setdefault(facts.deal.owner_id or 0, []).append(facts)
    quiet = forecaster.quiet_after_days()
    lists = {
        rep: build_action_list(
            deals=items,
            deal_outlooks=outlooks,
            quiet_after_days=quiet,
            hidden=hidden.get(rep, set()),
            limit=10,
        )
        for rep, items in by_rep.items()
    }
    ranked = time.perf_counter()
    return _figures(len(deals), len(lists), started, loaded, predicted, ranked)


def _figures(
    deals: int, reps: int, started: float, loaded: float, predicted: float, ranked: float
) -> dict[str, float]:
    return {
        "deals": deals,
        "reps": reps,
        "load": loaded - started,
        "predict": predicted - loaded,
        "rank": ranked - predicted,
        "total": ranked - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="sqlite:////tmp/dealbot-bench.db")
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--deals", type=int, default=200, help="open deals per rep")
    parser.add_argument(
        "--per-deal", action="store_true", help="time the reference path (facts per deal) instead"
    )
    args = parser.parse_args()
    rank = rank_everyone_per_deal if args.per_deal else rank_everyone
    shape = Shape(reps=args.reps, open_deals_per_rep=args.deals)
    uow_factory = prepare(args.url, shape)
    baseline_reps = list(range(1, max(2, args.reps // 10) + 1))
    base = rank(uow_factory, baseline_reps)
    full = rank(uow_factory, list(range(1, args.reps + 1)))
    started = time.perf_counter()
    lists = ranked_actions_for_all(uow_factory, load_forecaster(uow_factory), at=NOW, record=True)
    handler = time.perf_counter() - started
    shown = sum(len(items) for items in lists.values())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for name, run in (("baseline (1/10 of reps)", base), ("all reps", full)):
        print(
            f"{name:>24}: {run['reps']:,} reps, {run['deals']:,} open deals: total {run['total']:.2f} s "
            f"= load {run['load']:.2f} s + predict {run['predict']:.2f} s + rank {run['rank']:.2f} s"
        )
    print(
        f"ratio all/baseline: {full['total'] / base['total']:.1f}x for {full['deals'] / base['deals']:.1f}x the deals"
    )
    print(
        f"the digest's use case (ranked_actions_for_all, {shown:,} items recorded): {handler:.2f} s"
    )
    print(
        f"share: load {full['load'] / full['total']:.0%}, predict {full['predict'] / full['total']:.0%}, "
        f"rank {full['rank'] / full['total']:.0%}; peak memory {peak_mb:,.0f} MB; target < 10 s"
    )


if __name__ == "__main__":
    main()
