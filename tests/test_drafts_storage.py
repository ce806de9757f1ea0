"""The draft repository on SQLite and PostgreSQL: round trip, compare-and-set, claims, decisions."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
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
    with SqlUnitOfWork(engine) as uow:
        first = uow.drafts.add(Draft(deal, ana, ana, NOW))
        second = uow.drafts.add(Draft(deal, ana, ana, NOW + timedelta(seconds=1)))
        busy = uow.drafts.add(
            Draft(deal, ana, ana, NOW - timedelta(minutes=9), status=DraftStatus.DRAFTING,
                  claimed_by="w1", claimed_at=NOW - timedelta(minutes=1))
        )  # fmt: skip
        gone = uow.drafts.add(
            Draft(deal, ana, ana, NOW - timedelta(minutes=8), status=DraftStatus.DRAFTING,
                  claimed_by="w0", claimed_at=NOW - timedelta(minutes=8))
        )  # fmt: skip
        uow.drafts.add(Draft(deal, ana, ana, NOW, status=DraftStatus.READY))
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        found = uow.drafts.claimable(stale_before=NOW - timedelta(minutes=5), limit=10)
        assert [d.id for d in found] == [gone.id, first.id, second.id]
        assert busy.id not in {d.id for d in found}
        assert len(uow.drafts.claimable(stale_before=NOW, limit=2)) == 2


def test_decisions_in_a_window_by_rep(engine: Engine) -> None:
    ana, ben, deal = _setup(engine)
    with SqlUnitOfWork(engine) as uow:
        a = uow.drafts.add(Draft(deal, ana, ana, NOW))
        b = uow.drafts.add(Draft(deal, ben, ben, NOW))
        c = uow.drafts.add(Draft(deal, ana, ana, NOW))
        uow.drafts.add(Draft(deal, ana, ana, NOW, status=DraftStatus.READY))  # undecided
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
            DraftDecision(b.id or 0, ben, deal, "approved", NOW + timedelta(hours=2), 0.0),
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
