"""Deliveries stored together in one transaction: each as if alone, one commit, a failure alone."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

import handlers.deliveries as deliveries
from bot.webhooks.storing import stored
from core.intake import LeadSubmission, SignalEvent
from handlers.deliveries import LeadDelivery, SignalsDelivery, receive_together
from handlers.directory import CachedDirectory
from handlers.intake import IntakeResult
from handlers.load_ledger import LoadLedger
from handlers.load_windows import rep_loads
from handlers.signals import SignalsResult
from tests.lead_world import NOW, desk_for


def _lead(n: int, key: str | None = None) -> LeadDelivery:
    form = LeadSubmission(name=f"Buyer {n}", email=f"buyer{n}@initech.io", source="website")
    return LeadDelivery(form, key or f"k{n}")


def _commits(deps) -> list[int]:
    seen: list[int] = []
    event.listen(deps.uow_factory.engine, "commit", lambda _conn: seen.append(1))
    return seen


def _counts(deps) -> tuple[int, int, int]:
    with deps.uow_factory() as uow:
        leads = uow.leads.list_open()
        channel = [k for k in uow.outbox.keys_with_prefix("lead:") if k.endswith(":channel")]
        moves = sum(len(uow.assignments.for_lead(lead.id)) for lead in leads)
    return len(leads), len(channel), moves


@pytest.mark.parametrize("ledger", [False, True], ids=["history", "ledger"])
def test_leads_stored_together_commit_once_and_share_the_round_robin_fairly(database_url, ledger):
    """Four website leads in one transaction go two to Ana and two to Ben, as one at a time
    would: each lead's loads count the assignments made before it in the same transaction."""
    deps, _, team = desk_for(database_url)
    if ledger:  # the app's directory: a copy of the reps, loads from the ledger
        ledger_ = LoadLedger(60, time.monotonic)
        deps = replace(deps, directory=CachedDirectory(60, time.monotonic, ledger_))
    commits = _commits(deps)
    results = receive_together([_lead(n) for n in range(4)], deps)
    assert len(commits) == 1
    assert all(isinstance(r, IntakeResult) and r.created for r in results)
    owners = [r.owner_id for r in results]
    assert sorted(owners) == sorted([team.ana, team.ana, team.ben, team.ben]), owners
    assert _counts(deps) == (4, 4, 4)
    # and the next group, in a transaction of its own, goes on from there
    more = receive_together([_lead(n) for n in range(4, 6)], deps)
    assert sorted(r.owner_id for r in more) == sorted([team.ana, team.ben])


def test_a_repeat_in_the_same_group_is_answered_as_a_repeat(database_url):
    deps, _, _ = desk_for(database_url)
    first, again = receive_together([_lead(1, "same"), _lead(1, "same")], deps)
    assert isinstance(first, IntakeResult) and isinstance(again, IntakeResult)
    assert first.created and not first.duplicate
    assert again.duplicate and again.lead_id == first.lead_id
    assert _counts(deps) == (1, 1, 1)


def test_a_signal_after_its_lead_in_the_same_group_joins_that_lead(database_url):
    deps, _, _ = desk_for(database_url)
    view = SignalEvent(kind="page_view", occurred_at=NOW, email="buyer1@initech.io")
    lead, signals = receive_together([_lead(1), SignalsDelivery((view,), "s1")], deps)
    assert isinstance(lead, IntakeResult) and isinstance(signals, SignalsResult)
    assert signals.matched_leads == 1 and signals.rescored == (lead.lead_id,)
    with deps.uow_factory() as uow:
        assert [s.lead_id for s in uow.signals.for_leads([lead.lead_id])] == [lead.lead_id]


def test_one_failing_delivery_fails_alone_and_the_others_are_stored_once(database_url, monkeypatch):
    """The group's transaction is rolled back whole (nothing of the failing one, and no claim of
    the others, is left), then each is stored alone: the others once, as new leads. The load
    ledger counts only what was committed."""
    deps, clock, _ = desk_for(database_url)
    ledger = LoadLedger(60, time.monotonic)
    deps = replace(deps, directory=CachedDirectory(60, time.monotonic, ledger))
    take = deliveries.take_lead

    def failing(uow, deps_, desk_of, submission, key):
        result = take(uow, deps_, desk_of, submission, key)  # written, then it fails
        if key == "k2":
            raise RuntimeError("boom")
        return result

    monkeypatch.setattr(deliveries, "take_lead", failing)
    commits = _commits(deps)
    results = stored([_lead(n) for n in range(4)], deps)
    assert [type(r).__name__ for r in results] == [
        "IntakeResult", "IntakeResult", "RuntimeError", "IntakeResult"
    ]  # fmt: skip
    assert all(r.created and not r.duplicate for r in results if isinstance(r, IntakeResult))
    assert len(commits) == 3  # the three stored alone; the group and the failing one rolled back
    assert _counts(deps) == (3, 3, 3)
    with deps.uow_factory() as uow:
        desk = deps.directory(uow)
        routing, at = deps.policy.routing, clock.now()
        assert desk.loads(uow, routing, at) == rep_loads(uow, desk.active, routing, at)
    monkeypatch.setattr(deliveries, "take_lead", take)
    (retried,) = receive_together([_lead(2)], deps)  # the sender's retry goes through
    assert isinstance(retried, IntakeResult) and retried.created


def test_a_single_delivery_that_fails_is_not_tried_twice(database_url, monkeypatch):
    deps, _, _ = desk_for(database_url)
    calls = []

    def failing(*args):
        calls.append(args)
        raise RuntimeError("boom")

    monkeypatch.setattr(deliveries, "take_lead", failing)
    (outcome,) = stored([_lead(1)], deps)
    assert isinstance(outcome, RuntimeError) and len(calls) == 1


def test_the_database_failing_fails_the_whole_group_at_once(database_url, monkeypatch):
    """Locked past its timeout or unreachable: each delivery alone would wait out the same
    timeout again, so all of the group fail together (the senders retry) and nothing is written."""
    deps, _, _ = desk_for(database_url)
    calls = []

    def locked(*args):
        calls.append(args)
        raise OperationalError("INSERT ...", {}, Exception("database is locked"))

    monkeypatch.setattr(deliveries, "take_lead", locked)
    outcomes = stored([_lead(n) for n in range(3)], deps)
    assert [type(o) for o in outcomes] == [OperationalError] * 3
    assert len(calls) == 1  # not tried again one by one
    assert _counts(deps) == (0, 0, 0)
