"""The draft repository on SQLite and PostgreSQL: round trip, compare-and-set, claims, decisions."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from core.drafts import Draft, DraftDecision, DraftOutcome, DraftStatus, change_ratio
from core.model import Deal, Rep
from storage.db import create_engine_for, create_schema
from storage.uow import SqlUnitOfWork

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine_for(database_url)
    create_schema(engine)
    yield engine
    engine.dispose()


def _setup(engine: Engine) -> tuple[int, int, int]:
    with SqlUnitOfWork(engine) as uow:
        ana = uow.reps.add(Rep(email="ana@example.com", name="Ana"))
        ben = uow.reps.add(Rep(email="ben@example.com", name="Ben"))
        deal = uow.deals.add(Deal(name="Acme EU", stage="Proposal", created_at=NOW))
        uow.commit()
    return ana.id or 0, ben.id or 0, deal.id or 0


def _more_deals(engine: Engine, count: int) -> list[int]:
    """Deals of their own: a deal holds one undecided draft at a time."""
    with SqlUnitOfWork(engine) as uow:
        deals = [
            uow.deals.add(Deal(name=f"Deal {n}", stage="Proposal", created_at=NOW))
            for n in range(count)
        ]
        uow.commit()
    return [d.id or 0 for d in deals]


def _decided(draft: Draft, outcome: DraftOutcome, at: datetime, ratio: float = 0.0) -> Draft:
    status = DraftStatus.REJECTED if outcome is DraftOutcome.REJECTED else DraftStatus.APPROVED
    return dataclasses.replace(
        draft, status=status, outcome=outcome, decided_at=at, change_ratio=ratio
    )


def test_a_draft_round_trips_every_field(engine: Engine) -> None:
    ana, _, deal = _setup(engine)
    draft = Draft(
        deal_id=deal, rep_id=ana, requested_by=ana, requested_at=NOW, status=DraftStatus.READY,
        generation=2, subject="Pricing", body="Hi Sarah,\n\nAs promised…", model="openai/gpt-x",
        note="The model did not answer", written_at=NOW, claimed_by="w1", claimed_at=NOW,
        to_email="sarah@acme.com", outcome=DraftOutcome.EDITED, decided_by=ana, decided_at=NOW,
        final_subject="Pricing!", final_body="Hi Sarah", change_ratio=0.25, sent_via="copy",
    )  # fmt: skip
    with SqlUnitOfWork(engine) as uow:
        stored = uow.drafts.add(draft)
        uow.commit()
    assert stored.id is not None
    with SqlUnitOfWork(engine) as uow:
        assert uow.drafts.get(stored.id) == stored
        assert uow.drafts.get(stored.id + 1) is None


def test_replace_is_a_compare_and_set_on_status_generation_and_claim(engine: Engine) -> None:
    ana, _, deal = _setup(engine)
    with SqlUnitOfWork(engine) as uow:
        draft = uow.drafts.add(Draft(deal, ana, ana, NOW))
        uow.commit()
    mine = dataclasses.replace(draft, status=DraftStatus.DRAFTING, claimed_by="w1", claimed_at=NOW)
    theirs = dataclasses.replace(mine, claimed_by="w2")
    with SqlUnitOfWork(engine) as uow:
        assert uow.drafts.replace(mine, expected=draft)
        assert not uow.drafts.replace(theirs, expected=draft)  # the second worker loses
        written = dataclasses.replace(mine, status=DraftStatus.READY, body="text")
        assert not uow.drafts.replace(written, expected=theirs)  # not its claim
        assert uow.drafts.replace(written, expected=mine)
        approved = dataclasses.replace(written, status=DraftStatus.APPROVED)
        rejected = dataclasses.replace(written, status=DraftStatus.REJECTED)
        assert uow.drafts.replace(approved, expected=written)
        assert not uow.drafts.replace(rejected, expected=written)  # the second press loses
        written = approved
        stale = dataclasses.replace(written, generation=2)
        assert not uow.drafts.replace(written, expected=stale)  # another generation
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.drafts.get(draft.id or 0) == written


def test_claimable_finds_requested_drafts_and_abandoned_claims_only(engine: Engine) -> None:
    ana, _, deal = _setup(engine)
    d2, d3, d4, d5 = _more_deals(engine, 4)
    with SqlUnitOfWork(engine) as uow:
        first = uow.drafts.add(Draft(deal, ana, ana, NOW))
        second = uow.drafts.add(Draft(d2, ana, ana, NOW + timedelta(seconds=1)))
        busy = uow.drafts.add(
            Draft(d3, ana, ana, NOW - timedelta(minutes=9), status=DraftStatus.DRAFTING,
                  claimed_by="w1", claimed_at=NOW - timedelta(minutes=1))
        )  # fmt: skip
        gone = uow.drafts.add(
            Draft(d4, ana, ana, NOW - timedelta(minutes=8), status=DraftStatus.DRAFTING,
                  claimed_by="w0", claimed_at=NOW - timedelta(minutes=8))
        )  # fmt: skip
        uow.drafts.add(Draft(d5, ana, ana, NOW, status=DraftStatus.READY))
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        found = uow.drafts.claimable(stale_before=NOW - timedelta(minutes=5), limit=10)
        assert [d.id for d in found] == [gone.id, first.id, second.id]
        assert busy.id not in {d.id for d in found}
        assert len(uow.drafts.claimable(stale_before=NOW, limit=2)) == 2


def test_decisions_in_a_window_by_rep(engine: Engine) -> None:
    ana, ben, deal = _setup(engine)
    d2, d3, d4 = _more_deals(engine, 3)
    with SqlUnitOfWork(engine) as uow:
        a = uow.drafts.add(Draft(deal, ana, ana, NOW))
        b = uow.drafts.add(Draft(d2, ben, ben, NOW))
        c = uow.drafts.add(Draft(d3, ana, ana, NOW))
        uow.drafts.add(Draft(d4, ana, ana, NOW, status=DraftStatus.READY))  # undecided
        uow.drafts.replace(
            _decided(a, DraftOutcome.EDITED, NOW + timedelta(hours=1), 0.3), expected=a
        )
        uow.drafts.replace(_decided(b, DraftOutcome.APPROVED, NOW + timedelta(hours=2)), expected=b)
        # a rejection never counts as a change, whatever was stored
        uow.drafts.replace(
            _decided(c, DraftOutcome.REJECTED, NOW + timedelta(days=8), 0.9), expected=c
        )
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        week = uow.drafts.decisions(since=NOW, until=NOW + timedelta(days=7))
        assert week == [
            DraftDecision(a.id or 0, ana, deal, "edited", NOW + timedelta(hours=1), 0.3),
            DraftDecision(b.id or 0, ben, d2, "approved", NOW + timedelta(hours=2), 0.0),
        ]
        assert week[0].decided_at.tzinfo is not None
        assert [
            d.rep_id
            for d in uow.drafts.decisions(since=NOW, until=NOW + timedelta(days=7), rep_ids=[ben])
        ] == [ben]
        later = uow.drafts.decisions(since=NOW + timedelta(days=7), until=NOW + timedelta(days=9))
        assert [(d.outcome, d.change_ratio) for d in later] == [("rejected", 0.0)]
        assert (
            uow.drafts.decisions(since=NOW, until=NOW + timedelta(hours=1)) == []
        )  # until excluded


@pytest.mark.parametrize(
    ("before", "after", "low", "high"),
    [
        ("Hi Sarah, pricing attached.", "Hi Sarah, pricing attached.", 0.0, 0.0),
        ("Hi Sarah, pricing attached.", "Hi Sarah, the pricing is attached.", 0.05, 0.3),
        ("abc", "xyz", 1.0, 1.0),
    ],
)
def test_change_ratio(before: str, after: str, low: float, high: float) -> None:
    assert low <= change_ratio(before, after) <= high


def test_a_deal_holds_one_undecided_draft_and_a_new_one_after_the_decision(
    engine: Engine,
) -> None:
    ana, ben, deal = _setup(engine)
    (other,) = _more_deals(engine, 1)
    with SqlUnitOfWork(engine) as uow:
        first = uow.drafts.add_request(Draft(deal, ana, ana, NOW))
        assert first is not None and first.id is not None
        assert uow.drafts.add_request(Draft(deal, ana, ben, NOW)) is None
        assert uow.drafts.add_request(Draft(other, ana, ana, NOW)) is not None
        assert uow.drafts.undecided_for_deal(deal) == first
        uow.commit()
    for status in (DraftStatus.DRAFTING, DraftStatus.READY):
        with SqlUnitOfWork(engine) as uow:
            now = uow.drafts.get(first.id)
            assert now is not None
            assert uow.drafts.replace(dataclasses.replace(now, status=status), expected=now)
            assert uow.drafts.add_request(Draft(deal, ana, ana, NOW)) is None
            uow.commit()
    with SqlUnitOfWork(engine) as uow:
        ready = uow.drafts.get(first.id)
        assert ready is not None
        rejected = _decided(ready, DraftOutcome.REJECTED, NOW)
        assert uow.drafts.replace(rejected, expected=ready)
        assert uow.drafts.undecided_for_deal(deal) is None
        again = uow.drafts.add_request(Draft(deal, ana, ana, NOW))
        assert again is not None and again.id != first.id
        uow.commit()


def test_the_migration_closes_older_undecided_drafts_of_a_deal(database_url: str) -> None:
    from storage.migrate import upgrade

    upgrade(database_url, "0006")
    engine = create_engine_for(database_url)
    ana, _, deal = _setup(engine)
    (other,) = _more_deals(engine, 1)
    rows = [(deal, "ready"), (deal, "requested"), (deal, "approved"), (other, "drafting")]
    with engine.begin() as conn:
        for deal_id, status in rows:
            conn.execute(
                text(
                    "insert into draft (deal_id, rep_id, requested_by, requested_at, status, "
                    "generation, subject, body, model, change_ratio) values "
                    "(:deal, :rep, :rep, :at, :status, 1, '', '', '', 0)"
                ),
                {"deal": deal_id, "rep": ana, "at": NOW, "status": status},
            )
    upgrade(database_url)
    with engine.connect() as conn:
        found = conn.execute(text("select deal_id, status, outcome from draft order by id"))
        assert [tuple(row) for row in found] == [
            (deal, "rejected", None),  # the older undecided one, closed without a decision
            (deal, "requested", None),
            (deal, "approved", None),
            (other, "drafting", None),
        ]
    with SqlUnitOfWork(engine) as uow:
        assert uow.drafts.add_request(Draft(deal, ana, ana, NOW)) is None
        assert uow.drafts.decisions(since=NOW, until=NOW + timedelta(days=1)) == []
    engine.dispose()
