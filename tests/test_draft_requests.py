"""Draft follow-up pressed again while the deal's draft is undecided: one draft, a clear answer.

On SQLite and PostgreSQL; the race runs two presses at once on two threads with an engine each,
as two replicas of the app would.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import text

from core.draft_commands import RejectDraft, RequestDraft
from handlers.deps import Deps, Reply
from handlers.draft_review import reject_draft, request_draft
from handlers.draft_writing import claim_drafts, write_draft
from handlers.errors import AlreadyHandled
from storage.db import create_engine_for
from storage.uow import UnitOfWorkFactory
from tests.drafting_world import World, drafting_world

STALE = timedelta(minutes=5)


@pytest.fixture
def world(database_url: str) -> Iterator[World]:
    with drafting_world(database_url) as w:
        yield w


def _count(world: World, sql: str) -> int:
    with world.uow_factory() as uow:
        return int(uow.session.connection().execute(text(sql)).scalar() or 0)


def _drafts(world: World) -> list[tuple[str, int]]:
    with world.uow_factory() as uow:
        rows = uow.session.connection().execute(text("select status, id from draft order by id"))
        return [(row.status, row.id) for row in rows]


def _press_again(world: World, actor: int, says: str) -> None:
    before = (_drafts(world), _count(world, "select count(*) from audit_log"))
    with pytest.raises(AlreadyHandled, match=says):
        request_draft(RequestDraft(actor, world.deal), world.deps)
    assert (_drafts(world), _count(world, "select count(*) from audit_log")) == before


def test_a_second_press_says_where_the_draft_is_and_queues_nothing(world: World) -> None:
    request_draft(RequestDraft(world.ana, world.deal), world.deps)
    _press_again(world, world.ana, "A draft for Acme EU is already on its way to you")
    (claimed,) = claim_drafts(world.deps, worker="w1", stale_after=STALE, limit=5)
    _press_again(world, world.ana, "already on its way to you")  # being written
    assert write_draft(world.deps, None, claimed)
    _press_again(world, world.ana, "is waiting for you in your direct messages with dealbot")
    _press_again(world, world.mia, "is waiting for Ana Lopez in their direct messages")
    reject_draft(RejectDraft(world.ana, claimed.id or 0, 1), world.deps)
    reply = request_draft(RequestDraft(world.ana, world.deal), world.deps)  # decided: a new one
    assert "Drafting a follow-up for Acme EU" in str(reply.message)
    assert [status for status, _ in _drafts(world)] == ["rejected", "requested"]


def test_two_presses_at_once_on_two_engines_make_one_draft(world: World, database_url: str) -> None:
    engines = [create_engine_for(database_url) for _ in range(2)]
    start = threading.Barrier(2, timeout=30)
    answers: list[Reply | Exception] = []

    def press(deps: Deps) -> None:
        start.wait()
        try:
            answers.append(request_draft(RequestDraft(world.ana, world.deal), deps))
        except Exception as error:  # the loser's answer, asserted below
            answers.append(error)

    threads = [
        threading.Thread(
            target=press, args=(replace(world.deps, uow_factory=UnitOfWorkFactory(e)),)
        )
        for e in engines
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for engine in engines:
        engine.dispose()
    replies = [a for a in answers if isinstance(a, Reply)]
    refusals = [a for a in answers if isinstance(a, AlreadyHandled)]
    assert (len(replies), len(refusals)) == (1, 1), answers
    assert "already on its way to you" in str(refusals[0])
    assert len(_drafts(world)) == 1
    assert _count(world, "select count(*) from audit_log where action = 'draft.request'") == 1


def _reassign(world: World, to: int) -> None:
    with world.uow_factory() as uow:
        deal = uow.deals.get(world.deal)
        assert deal is not None
        uow.deals.update(replace(deal, owner_id=to))
        uow.commit()


def test_after_a_reassignment_the_new_owner_replaces_the_draft_nobody_can_decide(
    world: World,
) -> None:
    request_draft(RequestDraft(world.ana, world.deal), world.deps)
    (claimed,) = claim_drafts(world.deps, worker="w1", stale_after=STALE, limit=5)
    assert write_draft(world.deps, None, claimed)
    _reassign(world, world.ben)  # Ana's card now waits in a DM of someone who may not decide
    request_draft(RequestDraft(world.ben, world.deal), world.deps)
    assert [status for status, _ in _drafts(world)] == ["rejected", "requested"]
    with world.uow_factory() as uow:
        old = uow.drafts.get(claimed.id or 0)
        new = uow.drafts.undecided_for_deal(world.deal)
        closing = uow.audit.latest(f"draft:{claimed.id}")
    assert old is not None and old.outcome is None and old.decided_at is None  # no decision
    assert new is not None and (new.rep_id, new.requested_by) == (world.ben, world.ben)
    assert closing is not None and closing.action == "draft.close_abandoned"
    _press_again(world, world.ben, "already on its way to you")  # the new one blocks as usual


def test_a_draft_left_undecided_for_over_a_week_no_longer_blocks(world: World) -> None:
    request_draft(RequestDraft(world.ana, world.deal), world.deps)
    world.clock.current += timedelta(days=6)
    _press_again(world, world.mia, "already on its way to Ana Lopez")
    world.clock.current += timedelta(days=2)
    request_draft(RequestDraft(world.mia, world.deal), world.deps)
    assert [status for status, _ in _drafts(world)] == ["rejected", "requested"]
