"""Send outcomes written back together: one transaction for the outcomes that arrive at once,
each still told whether its own claim held the row."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from bot.delivery.settling import Settler
from storage.db import create_engine_for, create_schema
from storage.delivery import (
    DEAD,
    PENDING,
    SENDING,
    SENT,
    OutboxQueue,
    Settlement,
    dead,
    released,
    retry,
    sent,
)
from storage.uow import SqlUnitOfWork

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


class CountingQueue(OutboxQueue):
    """The real queue, remembering how many settlements each write carried."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.writes: list[int] = []

    def settle_all(self, settlements: Sequence[Settlement]) -> list[bool]:
        self.writes.append(len(settlements))
        return super().settle_all(settlements)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine_for(database_url)
    create_schema(engine)
    with SqlUnitOfWork(engine) as uow:
        for n in range(20):
            uow.outbox.enqueue(key=f"k{n}", platform="slack", target="U1", payload={}, at=NOW)
        uow.commit()
    yield engine
    engine.dispose()


def test_outcomes_arriving_together_are_one_write_and_a_lost_claim_is_told_apart(engine):
    queue = CountingQueue(engine)
    held = queue.claim(worker="w1", at=NOW, limit=20, lease=LEASE)
    a, b, c, d, *rest = [item.id for item in held.items]
    settlements = [
        sent(a, token=held.token, at=NOW, reference="C1/1.0"),
        retry(b, token=held.token, due=NOW + LEASE, error="HTTP 503"),
        dead(c, token=held.token, error="channel_not_found"),
        released(d, token="someone-else", at=NOW),  # a claim that no longer holds it
        *(sent(i, token=held.token, at=NOW) for i in rest),
    ]
    settler = Settler(queue)

    async def all_at_once() -> list[bool]:
        return await asyncio.gather(*(settler.settle(s) for s in settlements))

    results = asyncio.run(all_at_once())
    assert results == [True, True, True, False, *[True] * len(rest)]
    assert queue.writes == [20]
    assert queue.counts() == {PENDING: 1, SENDING: 1, SENT: 17, DEAD: 1}
    (retried,) = queue.by_status(PENDING)
    assert retried.id == b and retried.attempts == 1 and retried.last_error == "HTTP 503"
    assert {i.sent_at for i in queue.by_status(SENT)} == {NOW}


def test_a_failed_write_reaches_every_outcome_in_it_and_the_next_write_goes_on(engine):
    queue = CountingQueue(engine)
    held = queue.claim(worker="w1", at=NOW, limit=2, lease=LEASE)
    first, second = (item.id for item in held.items)
    settler = Settler(queue)
    broken = Settlement(first, held.token, {"no_such_column": 1})

    async def one_bad_then_good() -> tuple[list[object], bool]:
        failed = await asyncio.gather(settler.settle(broken), return_exceptions=True)
        return failed, await settler.settle(sent(second, token=held.token, at=NOW))

    failed, ok = asyncio.run(one_bad_then_good())
    assert isinstance(failed[0], Exception) and ok
    assert queue.counts()[SENT] == 1
