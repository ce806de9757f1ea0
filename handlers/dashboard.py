"""The manager dashboard's reads: one function per panel, each a short read-only unit of work.

The SLA panel reuses `handlers.sla_report`; the outbox panel reads the delivery queue in `bot/`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from core.facts import DealFacts
from core.history import deal_training_snapshots
from core.pipeline_stats import StageTotal, Velocity, pipeline_by_stage, pipeline_velocity
from core.ports import Forecaster, UnitOfWork
from core.stages import Pipeline

VELOCITY_WINDOW = timedelta(days=365)
"""Win rate, deal size and cycle length come from the deals closed in this window."""


def pipeline_totals(uow_factory: Callable[[], UnitOfWork], pipeline: Pipeline) -> list[StageTotal]:
    """Open deals per stage and currency: count and value."""
    with uow_factory() as uow:
        deals = uow.deals.list_open()
    return pipeline_by_stage(deals, pipeline.open_stages)


def velocity(uow_factory: Callable[[], UnitOfWork], *, at: datetime) -> list[Velocity]:
    """Pipeline velocity per currency and its drivers, from the last `VELOCITY_WINDOW`."""
    with uow_factory() as uow:
        open_deals = uow.deals.list_open()
        closed = uow.deals.list_closed()
    return pipeline_velocity(open_deals, closed, since=at - VELOCITY_WINDOW, until=at)


def calibration_pairs(
    uow_factory: Callable[[], UnitOfWork], forecaster: Forecaster, pipeline: Pipeline
) -> list[tuple[float, bool]]:
    """(the live model's win probability, won?) for every closed deal as it stood at each stage.

    The snapshots are the leak-free ones the model trains on, so they include what it learned
    from: the diagram shows how well it fits its history, a little better than it will do next.
    """
    with uow_factory() as uow:
        deals = uow.deals.list_closed()
        ids = [d.id for d in deals if d.id is not None]
        changes = uow.deals.stage_changes(ids)
        activities = uow.activities.for_deals(ids)
        accounts = uow.accounts.list()
    examples = deal_training_snapshots(deals, changes, activities, accounts, pipeline)
    rounds: dict[int, list[tuple[DealFacts, bool]]] = defaultdict(list)
    seen: dict[int, int] = defaultdict(int)
    for example in examples:  # each round holds one snapshot per deal: outlooks are by deal id
        deal_id = example.facts.deal.id
        assert deal_id is not None
        rounds[seen[deal_id]].append((example.facts, example.won))
        seen[deal_id] += 1
    pairs: list[tuple[float, bool]] = []
    for snapshots in rounds.values():
        outlooks = forecaster.deal_outlooks([facts for facts, _ in snapshots])
        for facts, won in snapshots:
            outlook = outlooks.get(facts.deal.id or 0)
            if outlook is not None:
                pairs.append((outlook.p_win, won))
    return pairs
