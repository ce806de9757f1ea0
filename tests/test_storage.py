"""The SQL repositories on SQLite and PostgreSQL: round trips, as-of facts, actions, migrations."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from core.facts import OpenDeals, open_deals_from_facts
from core.model import (
    Account,
    Action,
    ActionKind,
    ActionStatus,
    Activity,
    ActivityKind,
    Deal,
    DealStatus,
    Lead,
    NextAction,
    Rep,
    Role,
    Signal,
    StageChange,
)
from storage.db import create_engine_for
from storage.uow import SqlUnitOfWork

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def test_rep_round_trip_keeps_every_field(engine: Engine) -> None:
    rep = Rep(
        email="alice@example.com",
        name="Alice",
        time_zone="Europe/Berlin",
        role=Role.MANAGER,
        working_days=(0, 1, 2, 3),
        work_start=time(9, 30),
        holidays=(date(2026, 12, 24),),
        territories=("DACH",),
        segments=("Enterprise", "Mid-Market"),
        out_of_office_until=NOW,
        slack_user_id="U123",
    )
    with SqlUnitOfWork(engine) as uow:
        saved = uow.reps.add(rep)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        loaded = uow.reps.by_email("  ALICE@example.com ".strip().lower())
    assert loaded == saved
    assert loaded is not None and loaded.id is not None
    assert loaded.out_of_office_until == NOW and loaded.out_of_office_until.tzinfo is not None


def test_leaving_without_commit_rolls_back(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        uow.reps.add(Rep(email="bob@example.com", name="Bob"))
    with SqlUnitOfWork(engine) as uow:
        assert uow.reps.list() == []


def _seed_deal(engine: Engine) -> tuple[int, int]:
    with SqlUnitOfWork(engine) as uow:
        rep = uow.reps.add(Rep(email="a@example.com", name="A"))
        account = uow.accounts.add(
            Account(name="Acme Corp", domain="acme.com", attributes={"Tier": "1"})
        )
        deal = uow.deals.add(
            Deal(
                name="Acme EU",
                stage="Proposal",
                created_at=NOW - timedelta(days=40),
                stage_entered_at=NOW - timedelta(days=6),
                owner_id=rep.id,
                account_id=account.id,
                amount=45_000,
                next_action=NextAction("Send pricing", date(2026, 11, 20), rep.id),
                attributes={"Product": "Platform"},
            )
        )
        assert deal.id is not None and rep.id is not None
        touches = [
            1,
            3,
            10,
            20,
            45,
        ]  # days ago; the last one is before the deal existed: still counted
        for days in touches:
            uow.activities.add(
                Activity(
                    ActivityKind.CALL, NOW - timedelta(days=days), deal_id=deal.id, rep_id=rep.id
                )
            )
        uow.activities.add(Activity(ActivityKind.EMAIL, NOW + timedelta(days=1), deal_id=deal.id))
        uow.signals.add(Signal("pricing_page", NOW - timedelta(hours=5), deal_id=deal.id))
        uow.signals.add(Signal("pricing_page", NOW - timedelta(days=9), deal_id=deal.id))
        uow.deals.add_stage_change(
            StageChange(deal.id, "Proposal", NOW - timedelta(days=6), "Demo")
        )
        uow.commit()
        return rep.id, deal.id


def test_open_facts_counts_only_what_happened_by_then(engine: Engine) -> None:
    rep_id, deal_id = _seed_deal(engine)
    with SqlUnitOfWork(engine) as uow:
        [facts] = uow.deals.open_facts(owner_ids=[rep_id], at=NOW)
        assert uow.deals.open_facts(owner_ids=[rep_id + 1], at=NOW) == []
    assert facts.deal.id == deal_id
    assert facts.last_touch_at == NOW - timedelta(days=1)
    assert (facts.touches_14d, facts.touches_30d, facts.touches_total) == (3, 4, 5)
    assert facts.signals_7d == 1 and facts.last_signal_at == NOW - timedelta(hours=5)
    assert facts.account is not None and facts.account.attributes == {"Tier": "1"}
    assert facts.deal.next_action == NextAction("Send pricing", date(2026, 11, 20), rep_id)
    assert facts.days_in_stage == pytest.approx(6)


def test_open_deals_are_open_facts_column_by_column(engine: Engine) -> None:
    rep_id, _ = _seed_deal(engine)
    with SqlUnitOfWork(engine) as uow:
        bare = uow.deals.add(
            Deal(
                name="Bare",
                stage="Demo",
                created_at=NOW - timedelta(hours=3),
                owner_id=rep_id,
                expected_close=date(2026, 12, 24),
                next_action=NextAction("Call back"),
            )
        )
        uow.deals.add(Deal(name="Later", stage="Demo", created_at=NOW + timedelta(days=1)))
        uow.commit()
    for owners in (None, [rep_id]):
        with SqlUnitOfWork(engine) as uow:
            facts = uow.deals.open_facts(owner_ids=owners, at=NOW)
            columns = uow.deals.open_deals(owner_ids=owners, at=NOW)
        expected = open_deals_from_facts(facts, NOW)
        assert [f.deal.id for f in facts][1] == bare.id and len(columns) == 2
        assert columns.accounts == expected.accounts and columns.as_of == expected.as_of
        for field in dataclasses.fields(OpenDeals):
            if field.name not in ("as_of", "accounts", "facts"):
                got, want = getattr(columns, field.name), getattr(expected, field.name)
                assert list(got) == list(want), field.name
        assert [columns.facts(i) for i in range(len(columns))] == facts


def test_closing_a_deal_removes_it_from_open_facts(engine: Engine) -> None:
    rep_id, deal_id = _seed_deal(engine)
    with SqlUnitOfWork(engine) as uow:
        deal = uow.deals.get(deal_id)
        assert deal is not None
        uow.deals.update(
            dataclasses.replace(deal, stage="Won", status=DealStatus.WON, closed_at=NOW)
        )
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.deals.open_facts(owner_ids=None, at=NOW) == []
        assert [d.id for d in uow.deals.list_closed()] == [deal_id]
        assert [c.to_stage for c in uow.deals.stage_changes([deal_id])] == ["Proposal"]


def test_snoozed_and_dismissed_actions_are_hidden_until_their_time(engine: Engine) -> None:
    rep_id, deal_id = _seed_deal(engine)
    shown = [
        Action(uuid.uuid4(), rep_id, ActionKind.FOLLOW_UP, "deal", deal_id, "Call", 10.0, "r", NOW),
        Action(uuid.uuid4(), rep_id, ActionKind.FOLLOW_UP, "lead", 77, "Call", 5.0, "r", NOW),
    ]
    with SqlUnitOfWork(engine) as uow:
        uow.actions.record_shown(shown)
        uow.actions.set_status(
            shown[0].id, ActionStatus.SNOOZED, at=NOW, until=NOW + timedelta(hours=1)
        )
        uow.actions.set_status(shown[1].id, ActionStatus.DISMISSED, at=NOW)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.actions.hidden_subjects(rep_id=rep_id, at=NOW) == {
            ("deal", deal_id),
            ("lead", 77),
        }
        later = NOW + timedelta(hours=2)
        assert uow.actions.hidden_subjects(rep_id=rep_id, at=later) == {("lead", 77)}
        loaded = uow.actions.get(shown[0].id)
    assert loaded is not None and loaded.status is ActionStatus.SNOOZED


def test_account_lookup_by_name_ignores_case_and_spacing(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        uow.accounts.add(Account(name="Acme  Corp", external_id="001A", domain="acme.com"))
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.accounts.find(name="acme corp") is not None
        assert uow.accounts.find(domain="acme.com") is not None
        assert uow.accounts.find(external_id="001A") is not None
        assert uow.accounts.find(name="Acme Inc") is None


def test_open_lead_facts_count_the_first_window_the_model_learned_from(engine: Engine) -> None:
    created = NOW - timedelta(days=2)
    with SqlUnitOfWork(engine) as uow:
        account = uow.accounts.add(Account(name="Acme", industry="Fintech"))
        lead = uow.leads.add(Lead(name="Sarah", created_at=created, account_id=account.id))
        for hours, weight in (
            (2, 3.0),
            (36, 5.0),
            (-240, 1.0),
        ):  # in, after, long before the window
            signal = Signal(
                "pricing_page", created + timedelta(hours=hours), weight, lead_id=lead.id
            )
            uow.signals.add(signal)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        [facts] = uow.leads.open_facts(owner_ids=None, at=NOW)
    assert (facts.signals_7d, facts.signals_total, facts.signal_weight_7d) == (1, 2, 3.0)
    assert facts.account is not None and facts.account.industry == "Fintech"


def test_sqlite_connections_have_foreign_keys_and_wal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine_for(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10000
    engine.dispose()


def test_migrations_build_the_same_tables_as_the_models(database_url: str) -> None:
    from storage.migrate import current, upgrade

    upgrade(database_url)
    upgrade(database_url)  # a second run is a no-op
    assert current(database_url) is not None
    engine = create_engine_for(database_url)
    migrated = {
        t: {c["name"] for c in inspect(engine).get_columns(t)}
        for t in inspect(engine).get_table_names()
    }
    engine.dispose()
    from sqlmodel import SQLModel

    expected = {t.name: {c.name for c in t.columns} for t in SQLModel.metadata.sorted_tables}
    migrated.pop("alembic_version", None)
    assert migrated == expected
