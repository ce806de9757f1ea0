"""The ranked-list use case on both databases: who sees what, what is recorded, what is hidden."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.forecast import ModelForecaster, load_forecaster
from core.facts import DealFacts, LeadFacts
from core.model import Account, ActionKind, ActionStatus, Deal, Lead, NextAction, Rep
from core.ports import ColumnForecaster
from core.ranking import DealOutlook, LeadOutlook
from handlers.action_list import ranked_actions, ranked_actions_for_all
from handlers.errors import UnknownRep
from storage.db import create_engine_for, create_schema
from storage.uow import UnitOfWorkFactory

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.fixture
def uow_factory(database_url: str) -> Iterator[UnitOfWorkFactory]:
    engine = create_engine_for(database_url)
    create_schema(engine)
    factory = UnitOfWorkFactory(engine)
    with factory() as uow:
        alice = uow.reps.add(Rep(email="alice@example.com", name="Alice"))
        bob = uow.reps.add(Rep(email="bob@example.com", name="Bob"))
        acme = uow.accounts.add(Account(name="Acme", domain="acme.com"))
        for n, (amount, stage) in enumerate(
            [(45_000, "Proposal"), (5_000, "Prospecting"), (90_000, "Negotiation")]
        ):
            uow.deals.add(
                Deal(
                    name=f"Acme deal {n}",
                    stage=stage,
                    created_at=NOW - timedelta(days=30),
                    stage_entered_at=NOW - timedelta(days=3),
                    owner_id=alice.id,
                    account_id=acme.id,
                    amount=amount,
                    next_action=NextAction("Send pricing", date(2026, 11, 20)) if n == 1 else None,
                )
            )
        uow.deals.add(
            Deal(name="Bob's deal", stage="Demo", created_at=NOW, owner_id=bob.id, amount=1)
        )
        uow.leads.add(
            Lead(
                name="Sarah Lee",
                created_at=NOW - timedelta(minutes=3),
                owner_id=alice.id,
                company="Initech",
                first_touch_due=NOW + timedelta(minutes=2),
            )
        )
        uow.commit()
    yield factory
    engine.dispose()


def test_a_rep_sees_only_their_own_deals_and_leads(uow_factory):
    result = ranked_actions(
        uow_factory, load_forecaster(uow_factory), rep_email="alice@example.com", at=NOW
    )
    assert result.open_deals == 3 and result.open_leads == 1
    assert {a.subject_type for a in result.items} == {"deal", "lead"}
    assert "Bob's deal" not in " ".join(a.title for a in result.items)
    overdue = next(a for a in result.items if a.kind is ActionKind.OVERDUE_NEXT_STEP)
    assert "3 days overdue" in overdue.reason
    assert all(result.factors.get(str(a.id)) for a in result.items if a.subject_type == "deal")


def test_shown_items_are_recorded_and_snoozed_ones_stay_hidden(uow_factory):
    forecaster = load_forecaster(uow_factory)
    first = ranked_actions(uow_factory, forecaster, rep_email="alice@example.com", at=NOW, limit=2)
    top = first.items[0]
    with uow_factory() as uow:
        assert uow.actions.get(top.id) is not None
        uow.actions.set_status(top.id, ActionStatus.SNOOZED, at=NOW, until=NOW + timedelta(hours=1))
        uow.commit()
    later = ranked_actions(
        uow_factory, forecaster, rep_email="alice@example.com", at=NOW + timedelta(minutes=5)
    )
    assert (top.subject_type, top.subject_id) not in {
        (a.subject_type, a.subject_id) for a in later.items
    }
    after = ranked_actions(
        uow_factory, forecaster, rep_email="alice@example.com", at=NOW + timedelta(hours=2)
    )
    assert (top.subject_type, top.subject_id) in {
        (a.subject_type, a.subject_id) for a in after.items
    }


def test_unknown_rep_is_a_clear_error(uow_factory):
    with pytest.raises(UnknownRep, match="nobody@example.com"):
        ranked_actions(
            uow_factory, load_forecaster(uow_factory), rep_email="nobody@example.com", at=NOW
        )


def test_the_bulk_pass_gives_each_rep_the_same_list_as_asking_one_by_one(uow_factory):
    forecaster = load_forecaster(uow_factory)
    everyone = ranked_actions_for_all(uow_factory, forecaster, at=NOW, record=False)
    alice = ranked_actions(
        uow_factory, forecaster, rep_email="alice@example.com", at=NOW, record=False
    )
    with uow_factory() as uow:
        alice_id = uow.reps.by_email("alice@example.com").id  # type: ignore[union-attr]
    bulk = [(a.subject_type, a.subject_id, a.reason) for a in everyone[alice_id]]
    assert bulk == [(a.subject_type, a.subject_id, a.reason) for a in alice.items]


def test_an_unreadable_stored_model_falls_back_to_base_rates(uow_factory):
    with uow_factory() as uow:
        uow.model_versions.add(kind="deal", trained_at=NOW, metrics={}, blob=b"not a model")
        uow.commit()
    forecaster = load_forecaster(uow_factory)
    assert isinstance(forecaster, ModelForecaster)
    result = ranked_actions(uow_factory, forecaster, rep_email="alice@example.com", at=NOW)
    assert result.items


def test_the_bulk_pass_can_rank_a_subset_of_reps(uow_factory):
    with uow_factory() as uow:
        bob_id = uow.reps.by_email("bob@example.com").id  # type: ignore[union-attr]
    lists = ranked_actions_for_all(
        uow_factory, load_forecaster(uow_factory), at=NOW, record=False, rep_ids=[bob_id]
    )
    assert list(lists) == [bob_id]
    assert [a.title for a in lists[bob_id]] == ["Follow up: Bob's deal"]


class _PerDealForecaster:
    """A forecaster that can only score deals one `DealFacts` at a time."""

    def __init__(self, inner: ModelForecaster) -> None:
        self.inner = inner

    def deal_outlooks(self, facts: Sequence[DealFacts]) -> dict[int, DealOutlook]:
        return self.inner.deal_outlooks(facts)

    def lead_outlooks(self, facts: Sequence[LeadFacts]) -> dict[int, LeadOutlook]:
        return self.inner.lead_outlooks(facts)

    def quiet_after_days(self) -> dict[str, float]:
        return self.inner.quiet_after_days()

    def explain_deal(self, facts: DealFacts, top: int = 3) -> list[str]:
        return self.inner.explain_deal(facts, top)


def test_a_forecaster_without_columns_gives_the_same_bulk_lists(uow_factory):
    forecaster = load_forecaster(uow_factory)
    per_deal = _PerDealForecaster(forecaster)
    assert not isinstance(per_deal, ColumnForecaster) and isinstance(forecaster, ColumnForecaster)
    fast = ranked_actions_for_all(uow_factory, forecaster, at=NOW, record=False)
    slow = ranked_actions_for_all(uow_factory, per_deal, at=NOW, record=False)
    assert {rep: [(a.subject_id, a.reason) for a in items] for rep, items in fast.items()} == {
        rep: [(a.subject_id, a.reason) for a in items] for rep, items in slow.items()
    }
