"""A channel takes a short burst, then one message an interval; a 429 still pauses it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from bot.delivery.pacing import Pacer
from bot.delivery.worker import DeliveryWorker
from storage.db import create_engine_for, create_schema
from tests.fake_slack import FakeSlack
from tests.test_delivery import FakeTime, enqueue, statuses, worker_for


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine_for(database_url)
    create_schema(engine)
    yield engine
    engine.dispose()


def test_three_at_once_then_one_a_second() -> None:
    time = FakeTime()
    pacer = Pacer(rate_per_second=10.0, channel_interval=1.0, timer=time, channel_burst=3)
    assert [pacer.channel_wait("f", ahead=n) for n in range(5)] == [0, 0, 0, 1, 2]

    async def turns(*channels: str) -> float:
        start = time.monotonic()
        for channel in channels:
            await pacer.turn(channel)
        return round(time.monotonic() - start, 6)

    # Three inside the global rate (a slot every 0.1 s), the fourth a second after the first.
    assert asyncio.run(turns("f", "f", "f", "f")) == 1.0
    assert asyncio.run(turns("f")) == 1.0
    time.advance(10)  # quiet: the burst is back
    assert asyncio.run(turns("f", "f", "f")) == 0.2


def test_a_429_pauses_the_channel_and_takes_its_burst() -> None:
    time = FakeTime()
    pacer = Pacer(rate_per_second=100.0, channel_interval=1.0, timer=time, channel_burst=3)
    pacer.rate_limited("g", retry_after=2)
    assert pacer.channel_wait("g") == 2 and pacer.channel_wait("g", ahead=1) == 3


def test_two_alerts_for_one_channel_in_one_claim_both_go_in_that_round(engine) -> None:  # type: ignore[no-untyped-def]
    enqueue(engine, "C1", "C1", "C2")
    time = FakeTime()
    with FakeSlack() as fake:
        worker: DeliveryWorker = worker_for(engine, fake, time)

        async def scenario() -> tuple[int, int]:
            tally = await worker.run_once()
            await worker.stop()
            return tally.sent, tally.released

        assert asyncio.run(scenario()) == (3, 0)
    assert set(statuses(engine).values()) == {"sent"}
