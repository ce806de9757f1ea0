"""The demo seed: deterministic for a seed, keeps its promises, and lands in a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from core.demo_team import DemoDeal, DemoTeam, generate_demo_team
from core.model import DealStatus, LeadStatus, Role
from core.stages import DEFAULT_OPEN_STAGES, LOST, WON
from handlers.errors import UserError
from handlers.seed import seed_demo, summarise
from storage.tables import (
    AccountRow,
    ActivityRow,
    ContactRow,
    DealRow,
    LeadRow,
    RepRow,
    SignalRow,
    StageChangeRow,
    TeamRow,
)
from storage.uow import SqlUnitOfWork, UnitOfWorkFactory

NOW = datetime(2025, 6, 2, 14, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo() -> DemoTeam:
    return generate_demo_team(seed=42, now=NOW)


def test_same_seed_and_now_give_identical_data() -> None:
    assert generate_demo_team(seed=7, now=NOW) == generate_demo_team(seed=7, now=NOW)


def test_another_seed_gives_other_data() -> None:
    first, second = generate_demo_team(seed=7, now=NOW), generate_demo_team(seed=8, now=NOW)
    assert [d.deal for d in first.deals] != [d.deal for d in second.deals]
    assert [a.account.name for a in first.accounts] != [a.account.name for a in second.accounts]


def test_times_follow_now() -> None:
    later = NOW + timedelta(days=30)
    moved = generate_demo_team(seed=7, now=later)
    assert max(d.deal.created_at for d in moved.deals) > NOW
    assert all(d.deal.created_at <= later for d in moved.deals)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        generate_demo_team(seed=1, now=NOW.replace(tzinfo=None))


def test_the_org_has_reps_managers_and_an_admin_in_several_time_zones(demo: DemoTeam) -> None:
    roles = [r.rep.role for r in demo.reps]
    sellers = [r for r in demo.reps if r.rep.role is Role.REP]
    assert len(demo.teams) == 2
    assert len(sellers) >= 8 and roles.count(Role.MANAGER) == 2 and roles.count(Role.ADMIN) == 1
    assert len({r.rep.time_zone for r in sellers}) >= 3
    for seller in sellers:
        assert seller.rep.territories and seller.rep.segments and seller.rep.daily_capacity > 0
        assert seller.manager is not None
        manager = demo.reps[seller.manager]
        assert manager.rep.role is Role.MANAGER and manager.team == seller.team


def test_accounts_and_contacts_look_like_companies_and_people(demo: DemoTeam) -> None:
    assert len(demo.accounts) == 40
    assert len({a.account.name for a in demo.accounts}) == 40
    assert len({a.account.domain for a in demo.accounts}) == 40
    for index, account in enumerate(demo.accounts):
        assert {"Tier", "Tech stack"} <= set(account.account.attributes)
        assert account.account.region in demo.reps[account.owner].rep.territories
        people = [c.contact for c in demo.contacts if c.account == index]
        assert 2 <= len(people) <= 4
        assert all(
            p.email and p.email.endswith("@" + (account.account.domain or "?")) for p in people
        )


def test_three_hundred_deals_with_enough_closed_history(demo: DemoTeam) -> None:
    statuses = [d.deal.status for d in demo.deals]
    assert len(demo.deals) == 300
    assert len(statuses) - statuses.count(DealStatus.OPEN) >= 150
    assert statuses.count(DealStatus.WON) >= 30 and statuses.count(DealStatus.LOST) >= 30
    assert statuses.count(DealStatus.OPEN) >= 30
    assert min(d.deal.created_at for d in demo.deals) < NOW - timedelta(days=240)
    open_stages = {d.deal.stage for d in demo.deals if d.deal.status is DealStatus.OPEN}
    assert len(open_stages) >= 4


@pytest.mark.parametrize("seed", [1, 42, 2025])
def test_stage_history_is_consistent(seed: int) -> None:
    for item in generate_demo_team(seed=seed, now=NOW).deals:
        _assert_consistent(item)


def _assert_consistent(item: DemoDeal) -> None:
    deal, steps = item.deal, item.stages
    assert steps[0].from_stage is None and steps[0].to_stage == DEFAULT_OPEN_STAGES[0]
    assert steps[0].at == deal.created_at
    assert all(a.at < b.at for a, b in zip(steps, steps[1:], strict=False))
    assert all(a.to_stage == b.from_stage for a, b in zip(steps, steps[1:], strict=False))
    assert steps[-1].at <= NOW and deal.stage == steps[-1].to_stage
    assert deal.stage_entered_at == steps[-1].at
    end = NOW
    if deal.status is DealStatus.OPEN:
        assert deal.stage in DEFAULT_OPEN_STAGES and deal.closed_at is None
    else:
        assert deal.stage == (WON if deal.status is DealStatus.WON else LOST)
        assert deal.closed_at == steps[-1].at and deal.next_action is None
        assert all(s.to_stage not in (WON, LOST) for s in steps[:-1])
        end = steps[-1].at
    assert all(deal.created_at <= a.occurred_at <= end for a in item.activities)
    assert all(s.occurred_at <= end for s in item.signals)


def test_open_deals_have_next_actions_some_overdue(demo: DemoTeam) -> None:
    actions = [d.deal.next_action for d in demo.deals if d.deal.status is DealStatus.OPEN]
    dated = [a for a in actions if a is not None and a.due is not None]
    assert len(dated) >= 0.8 * len(actions)
    assert any(a.due < NOW.date() for a in dated)  # type: ignore[operator]
    assert any(a.due >= NOW.date() for a in dated)  # type: ignore[operator]


def test_history_carries_a_learnable_but_noisy_signal(demo: DemoTeam) -> None:
    closed = [d for d in demo.deals if d.deal.status is not DealStatus.OPEN]

    def win_rate(deals: list[DemoDeal]) -> float:
        return sum(d.deal.status is DealStatus.WON for d in deals) / len(deals)

    def tier(d: DemoDeal) -> str:
        return demo.accounts[d.account].account.attributes["Tier"]

    def touches_per_week(d: DemoDeal) -> float:
        days = max(1.0, (d.deal.closed_at - d.deal.created_at).total_seconds() / 86400)  # type: ignore[operator]
        return len(d.activities) * 7 / days

    tier1 = win_rate([d for d in closed if tier(d) == "1"])
    tier3 = win_rate([d for d in closed if tier(d) == "3"])
    assert tier1 > tier3 and tier1 < 0.9
    busy = sorted(closed, key=touches_per_week)
    half = len(busy) // 2
    assert win_rate(busy[half:]) > win_rate(busy[:half]) > 0


def test_leads_have_history_and_a_few_fresh_ones_on_the_clock(demo: DemoTeam) -> None:
    leads = [item.lead for item in demo.leads]
    closed = [lead for lead in leads if lead.outcome is not None]
    fresh = [item for item in demo.leads if item.lead.status is LeadStatus.NEW]
    assert 50 <= len(leads) <= 70
    assert {True, False} == {lead.outcome for lead in closed}
    assert 8 <= len(fresh) <= 12
    for item in fresh:
        lead = item.lead
        assert NOW - timedelta(days=4) <= lead.created_at <= NOW
        assert lead.first_touch_due is not None and lead.first_touch_at is None
        assert item.owner is not None and lead.attributes.get("Employees")
    with_pricing = [i for i in fresh if any(s.kind == "pricing_page_view" for s in i.signals)]
    assert len(with_pricing) >= 2


def _count(engine: Engine, row_type: type) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(row_type)).scalar_one())


def test_seeding_writes_everything_with_ids_wired(engine: Engine) -> None:
    summary = seed_demo(UnitOfWorkFactory(engine), seed=3, now=NOW)
    expected = summarise(generate_demo_team(seed=3, now=NOW))
    assert summary == expected
    counts = {
        TeamRow: summary.teams,
        RepRow: summary.reps,
        AccountRow: 40,
        ContactRow: summary.contacts,
        DealRow: 300,
        StageChangeRow: summary.stage_changes,
        ActivityRow: summary.activities,
        LeadRow: summary.leads,
        SignalRow: summary.signals,
    }
    assert {t: _count(engine, t) for t in counts} == counts
    with SqlUnitOfWork(engine) as uow:
        reps = {r.id: r for r in uow.reps.list(active_only=False)}
        sellers = [r for r in reps.values() if r.role is Role.REP]
        assert all(reps[r.manager_id].role is Role.MANAGER for r in sellers)  # type: ignore[index]
        open_deals = uow.deals.list_open()
        assert len(open_deals) == summary.open_deals
        last_stage = {c.deal_id: c.to_stage for c in uow.deals.stage_changes()}
        assert all(last_stage[d.id] == d.stage for d in open_deals)  # type: ignore[index]
        assert all(d.owner_id in reps and d.account_id for d in open_deals)
        assert len(uow.leads.list_open()) == summary.open_leads


def test_seeding_a_database_that_has_reps_is_refused(engine: Engine) -> None:
    factory = UnitOfWorkFactory(engine)
    seed_demo(factory, seed=3, now=NOW)
    deals = _count(engine, DealRow)
    with pytest.raises(UserError, match="needs an empty database"):
        seed_demo(factory, seed=4, now=NOW)
    assert _count(engine, DealRow) == deals
