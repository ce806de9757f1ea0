"""Digest end to end: tick, a restart before anything is sent, the worker, the fake Slack: one DM each."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta

from bot.delivery.slack import SlackMessenger
from bot.delivery.worker import DeliveryPolicy, DeliveryWorker
from bot.slack.render import render_message
from storage.db import create_engine_for, create_schema
from storage.delivery import OutboxQueue
from storage.uow import UnitOfWorkFactory
from tests.fake_slack import FakeSlack
from tests.test_digest import MONDAY, NEW_YORK_8AM, seed, tick

TOKEN = "digest-bot-token"


class FakeTime:
    """The worker's wall clock and timer; a sleep moves time on instead of waiting."""

    def __init__(self, start: datetime) -> None:
        self.start, self.elapsed = start, 0.0

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    def monotonic(self) -> float:
        return self.elapsed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)
        self.elapsed += max(0.0, seconds)


def deliver_all(url: str, fake: FakeSlack) -> tuple[int, int]:
    """A fresh process's worker: (sent in the first round, claimed in the second)."""
    engine = create_engine_for(url)
    time = FakeTime(NEW_YORK_8AM + timedelta(minutes=2))
    messenger = SlackMessenger(token=TOKEN, base_url=fake.api_url, render=render_message)
    worker = DeliveryWorker(
        OutboxQueue(engine), {"slack": messenger}, DeliveryPolicy(rate_per_second=50.0),
        clock=time, timer=time, name="after-restart",
    )  # fmt: skip

    async def rounds() -> tuple[int, int]:
        first = await worker.run_once()
        second = await worker.run_once()
        await worker.stop()
        return first.sent, second.claimed

    try:
        return asyncio.run(rounds())
    finally:
        engine.dispose()


def test_a_restart_between_enqueue_and_send_gives_each_rep_one_dm(database_url, fake_slack):
    fake_slack.directory.update({"U0BEN": "ben@example.com", "U0CAI": "cai@example.com"})
    first = create_engine_for(database_url)
    create_schema(first)
    reps = seed(UnitOfWorkFactory(first))
    assert tick(UnitOfWorkFactory(first), NEW_YORK_8AM).enqueued == 3
    first.dispose()  # the process stops before the worker sent anything

    assert deliver_all(database_url, fake_slack) == (3, 0)
    second = create_engine_for(database_url)
    try:
        again = tick(UnitOfWorkFactory(second), NEW_YORK_8AM + timedelta(minutes=5))
    finally:
        second.dispose()
    assert (again.enqueued, again.already_sent) == (0, 3)
    assert deliver_all(database_url, fake_slack) == (0, 0)

    posts = fake_slack.calls_for("chat.postMessage", ok_only=True)
    keys = Counter(call.params["metadata"]["event_payload"]["key"] for call in posts)
    expected = {f"digest:{reps[name]}:{MONDAY.isoformat()}" for name in ("ana", "ben", "cai")}
    assert keys == dict.fromkeys(expected, 1)
    assert sorted(call.params["channel"] for call in posts) == ["U0ANA", "U0BEN", "U0CAI"]
    assert all(call.params["text"].startswith("Good morning") for call in posts)
