"""Rep loads kept between calls always equal a fresh count of the assignment history."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.model import Rep
from core.ports import Assignment
from core.routing import RoutingPolicy
from handlers.load_ledger import LoadLedger
from handlers.load_windows import rep_loads
from storage.db import create_engine_for, create_schema
from storage.uow import UnitOfWorkFactory
from tests.lead_world import NOW, Team1, seed_team

POLICY = RoutingPolicy()


class Ticks:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def world(url: str) -> tuple[UnitOfWorkFactory, list[Rep], Team1]:
    engine = create_engine_for(url)
    create_schema(engine)
    factory = UnitOfWorkFactory(engine)
    team = seed_team(factory)
    with factory() as uow:
        reps = uow.reps.list()
    return factory, reps, team


def assign(factory: UnitOfWorkFactory, rep_id: int, tier: str, at, *, commit: bool = True) -> None:  # type: ignore[no-untyped-def]
    with factory() as uow:
        uow.assignments.add(Assignment(1, rep_id, tier, "assign", "test", at))
        if commit:
            uow.commit()


def both(factory: UnitOfWorkFactory, ledger: LoadLedger, reps: list[Rep], at, **kw):  # type: ignore[no-untyped-def]
    with factory() as uow:
        kept = ledger.loads(uow, reps, POLICY, at, **kw)
        counted = rep_loads(uow, reps, POLICY, at)
    return kept, counted


def seed_lead(factory: UnitOfWorkFactory) -> None:
    from core.model import Lead

    with factory() as uow:
        uow.leads.add(Lead(name="Someone", created_at=NOW))
        uow.commit()


def test_rows_added_after_the_count_are_counted_as_a_recount_would(database_url):
    factory, reps, team = world(database_url)
    seed_lead(factory)
    at = NOW + timedelta(days=2)  # Wednesday 14:00 UTC: 15:00 in Berlin, 23:00 in Tokyo
    assign(factory, team.ana, "hot", at - timedelta(days=1))
    ledger = LoadLedger(60, Ticks())
    kept, counted = both(factory, ledger, reps, at)
    assert kept == counted and kept[team.ana].this_week == 1
    # After the count: today, earlier this week, weeks ago (outside every window), and Kai in
    # Tokyo, whose Wednesday began while it was still Tuesday in Berlin.
    assign(factory, team.ana, "hot", at - timedelta(minutes=5))
    assign(factory, team.ana, "warm", at - timedelta(hours=20))
    assign(factory, team.ben, "hot", at - timedelta(days=40))
    assign(factory, team.kai, "warm", at - timedelta(hours=22, minutes=30))
    kept, counted = both(factory, ledger, reps, at)
    assert kept == counted
    assert kept[team.ana].today == 1 and kept[team.ana].this_week == 3
    assert kept[team.ana].tier_week == {"hot": 2, "warm": 1}
    assert kept[team.kai].today == 1 and kept[team.kai].this_week == 1
    assert team.ben not in kept
    assign(factory, team.ben, "hot", at)
    kept, counted = both(factory, ledger, reps, at)
    assert kept == counted and kept[team.ben].today == 1


@pytest.mark.parametrize("count_is_old", [False, True])
def test_a_rolled_back_assignment_is_not_left_counted(database_url, count_is_old):
    factory, reps, team = world(database_url)
    seed_lead(factory)
    ticks = Ticks()
    ledger = LoadLedger(60, ticks)
    both(factory, ledger, reps, NOW)
    ticks.now = 100.0 if count_is_old else 1.0
    with factory() as uow:  # an escalation that assigns, asks again, then fails
        uow.assignments.add(Assignment(1, team.ben, "hot", "assign", "test", NOW))
        during = ledger.loads(uow, reps, POLICY, NOW, advance=False)
        assert during[team.ben].today == 1
        uow.rollback()
    kept, counted = both(factory, ledger, reps, NOW)
    assert kept == counted and team.ben not in kept


def test_a_new_local_day_and_an_old_count_mean_a_recount(database_url):
    factory, reps, team = world(database_url)
    seed_lead(factory)
    ticks = Ticks()
    ledger = LoadLedger(2, ticks)
    assign(factory, team.ana, "hot", NOW)
    kept, _ = both(factory, ledger, reps, NOW)
    assert kept[team.ana].today == 1
    tomorrow = NOW + timedelta(days=1)
    kept, counted = both(factory, ledger, reps, tomorrow)
    assert kept == counted and kept[team.ana].today == 0
    assign(factory, team.ana, "hot", tomorrow)
    ticks.now = 5.0  # an old count
    kept, counted = both(factory, ledger, reps, tomorrow)
    assert kept == counted and kept[team.ana].today == 1
    kept, counted = both(factory, ledger, reps, NOW)  # the clock went back
    assert kept == counted and kept[team.ana].this_week == 2
