"""The delivery worker against the fake Slack Web API: 429s, 5xx, dead letters, restarts, no duplicates.

Time is a fake (`FakeTime`): the worker's clock, its pacing and its sleeps all read it, so a
Retry-After or a backoff is a jump of the fake clock, never a real wait.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from bot.delivery.slack import METADATA_EVENT, SlackMessenger
from bot.delivery.worker import DeliveryPolicy, DeliveryWorker
from core.messages import Message, Section, message_to_dict
from storage.db import create_engine_for, create_schema
from storage.delivery import DEAD, PENDING, SENT, OutboxQueue
from storage.uow import SqlUnitOfWork
from tests.fake_slack import FakeSlack

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
TOKEN = "test-bot-token"


class FakeTime:
    """Wall clock and monotonic clock in one; `sleep` moves time on instead of waiting."""

    def __init__(self) -> None:
        self.elapsed = 0.0

    def now(self) -> datetime:
        return NOW + timedelta(seconds=self.elapsed)

    def monotonic(self) -> float:
        return self.elapsed

    async def sleep(self, seconds: float) -> None:
        wake = self.elapsed + max(0.0, seconds)
        await asyncio.sleep(0)
        self.elapsed = max(self.elapsed, wake)

    def advance(self, seconds: float) -> None:
        self.elapsed += seconds


def plain_render(message: Message) -> tuple[str, list[dict[str, Any]]]:
    return message.summary, [
        {"type": "section", "text": {"type": "mrkdwn", "text": message.summary}}
    ]


def enqueue(engine: Engine, *targets: str, prefix: str = "digest", at: datetime = NOW) -> list[str]:
    keys = []
    with SqlUnitOfWork(engine) as uow:
        for n, target in enumerate(targets):
            key = f"{prefix}:{n}:2026-11-23"
            message = Message(summary=f"Your day, item {n}", sections=(Section(heading="Acme"),))
            payload = {"message": message_to_dict(message)}
            uow.outbox.enqueue(key=key, platform="slack", target=target, payload=payload, at=at)
            keys.append(key)
        uow.commit()
    return keys


def worker_for(
    engine: Engine, fake: FakeSlack, time: FakeTime, name: str = "w1", **policy: Any
) -> DeliveryWorker:
    messenger = SlackMessenger(token=TOKEN, base_url=fake.api_url, render=plain_render)
    settings = {"rate_per_second": 50.0, "backoff_base": 10.0, **policy}
    return DeliveryWorker(
        OutboxQueue(engine), {"slack": messenger}, DeliveryPolicy(**settings),
        clock=time, timer=time, name=name,
    )  # fmt: skip


def delivered_keys(fake: FakeSlack) -> Counter[str]:
    return Counter(
        call.params["metadata"]["event_payload"]["key"]
        for call in fake.calls_for("chat.postMessage", ok_only=True)
    )


def statuses(engine: Engine) -> dict[str, str]:
    return {item.key: item.status for item in OutboxQueue(engine).by_status(limit=10_000)}


async def close(*workers: DeliveryWorker) -> None:
    for worker in workers:
        await worker.stop()


def test_a_pending_row_is_posted_once_with_its_key_and_the_token(engine, fake_slack) -> None:  # type: ignore[no-untyped-def]
    (key,) = enqueue(engine, "U1")
    time = FakeTime()
    worker = worker_for(engine, fake_slack, time)

    async def scenario() -> tuple[int, int]:
        first, second = await worker.run_once(), await worker.run_once()
        await close(worker)
        return first.sent, second.claimed

    assert asyncio.run(scenario()) == (1, 0)
    (call,) = fake_slack.calls_for("chat.postMessage")
    assert call.params["channel"] == "U1" and call.params["text"] == "Your day, item 0"
    assert call.params["metadata"] == {"event_type": METADATA_EVENT, "event_payload": {"key": key}}
    assert call.token == TOKEN
    (item,) = OutboxQueue(engine).by_status(SENT)
    assert item.attempts == 1 and item.sent_at == NOW


def test_a_429_waits_for_retry_after_then_delivers_once(engine, fake_slack) -> None:  # type: ignore[no-untyped-def]
    (key,) = enqueue(engine, "U1")
    fake_slack.fail("chat.postMessage", status=429, retry_after=1, times=1)
    time = FakeTime()
    worker = worker_for(engine, fake_slack, time)

    async def scenario() -> list[tuple[int, int, int]]:
        seen = []
        limited = await worker.run_once()
        early = await worker.run_once()  # Retry-After has not passed on the clock yet
        time.advance(1)
        later = await worker.run_once()
        await close(worker)
        for tally in (limited, early, later):
            seen.append((tally.claimed, tally.rate_limited, tally.sent))
        return seen

    assert asyncio.run(scenario()) == [(1, 1, 0), (0, 0, 0), (1, 0, 1)]
    assert [c.status for c in fake_slack.calls_for("chat.postMessage")] == [429, 200]
    assert delivered_keys(fake_slack) == {key: 1}
    (item,) = OutboxQueue(engine).by_status(SENT)
    assert item.attempts == 1  # the 429 was not the row's fault and did not count


def test_a_server_error_backs_off_then_delivers(engine, fake_slack) -> None:  # type: ignore[no-untyped-def]
    (key,) = enqueue(engine, "C42")
    fake_slack.fail("chat.postMessage", status=500, times=1)
    time = FakeTime()
    worker = worker_for(engine, fake_slack, time, backoff_base=10.0)

    async def scenario() -> tuple[int, int, int]:
        failed = await worker.run_once()
        (waiting,) = OutboxQueue(engine).by_status(PENDING)
        assert waiting.attempts == 1 and waiting.last_error == "HTTP 500 internal_error"
        assert waiting.next_attempt_at is not None
        backoff = (waiting.next_attempt_at - NOW).total_seconds()
        assert 5.0 <= backoff <= 10.0  # the first backoff: base/2 plus jitter up to base
        time.advance(4.9)
        too_early = await worker.run_once()
        time.advance(5.2)
        later = await worker.run_once()
        await close(worker)
        return failed.retrying, too_early.claimed, later.sent

    assert asyncio.run(scenario()) == (1, 0, 1)
    assert delivered_keys(fake_slack) == {key: 1}


def test_always_500_goes_dead_after_max_attempts_and_outbox_retry_revives_it(  # type: ignore[no-untyped-def]
    tmp_path, fake_slack, capsys, monkeypatch
) -> None:
    from bot.cli import console, main

    monkeypatch.setattr(console, "width", 160)  # a wide terminal: keys on one line

    from storage.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'dealbot.db'}"
    upgrade(url)
    engine = create_engine_for(url)
    (key,) = enqueue(engine, "U7")
    fake_slack.fail("chat.postMessage", status=500, times=None)
    time = FakeTime()
    worker = worker_for(engine, fake_slack, time, max_attempts=3, backoff_base=1.0)

    async def until_dead() -> None:
        for _ in range(10):
            await worker.run_once()
            time.advance(60)
        await close(worker)

    asyncio.run(until_dead())
    assert len(fake_slack.calls_for("chat.postMessage")) == 3
    (dead,) = OutboxQueue(engine).by_status(DEAD)
    assert dead.attempts == 3 and dead.last_error == "HTTP 500 internal_error"

    assert main(["--database-url", url, "outbox", "list", "--status", "dead"]) == 0
    listing = capsys.readouterr().out
    assert key in listing and "HTTP 500" in listing and "dead 1" in listing
    assert "Your day" not in listing  # never the message text
    assert main(["--database-url", url, "outbox", "retry", str(dead.id), "999"]) == 0
    assert "again: 1" in capsys.readouterr().out and statuses(engine) == {key: PENDING}

    fake_slack.reset()
    worker = worker_for(engine, fake_slack, time, max_attempts=3)

    async def deliver() -> int:
        tally = await worker.run_once()
        await close(worker)
        return tally.sent

    assert asyncio.run(deliver()) == 1
    assert delivered_keys(fake_slack) == {key: 1}
    engine.dispose()


def test_a_permanent_error_is_dead_at_once_and_email_targets_are_looked_up(
    engine, fake_slack
) -> None:  # type: ignore[no-untyped-def]
    fake_slack.directory["U55"] = "marcus@brightlane.example"
    ok, gone, unknown = enqueue(
        engine, "email:Marcus@brightlane.example", "C404", "email:nobody@brightlane.example"
    )
    fake_slack.fail(
        "chat.postMessage", status=200, error="channel_not_found", match={"channel": "C404"}
    )
    time = FakeTime()
    worker = worker_for(engine, fake_slack, time)

    async def scenario() -> None:
        await worker.run_once()
        await close(worker)

    asyncio.run(scenario())
    assert statuses(engine) == {ok: SENT, gone: DEAD, unknown: DEAD}
    errors = {i.key: i.last_error for i in OutboxQueue(engine).by_status(DEAD)}
    assert errors == {gone: "channel_not_found", unknown: "users_not_found"}
    posted = {c.params["channel"] for c in fake_slack.calls_for("chat.postMessage", ok_only=True)}
    assert posted == {"U55"}


def test_a_restart_between_enqueue_and_send_delivers_exactly_once(tmp_path, fake_slack) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'dealbot.db'}"
    first_engine = create_engine_for(url)
    create_schema(first_engine)
    keys = enqueue(first_engine, "U1", "U2", "U3")
    # The first process claims the rows and dies before sending anything.
    lease = timedelta(minutes=5)
    OutboxQueue(first_engine).claim(worker="crashed", at=NOW, limit=10, lease=lease)
    first_engine.dispose()

    second_engine = create_engine_for(url)
    time = FakeTime()
    worker = worker_for(second_engine, fake_slack, time, name="after-restart")

    async def scenario() -> tuple[int, int]:
        while_leased = await worker.run_once()
        time.advance(lease.total_seconds())
        after_lease = await worker.run_once()
        await close(worker)
        return while_leased.claimed, after_lease.sent

    assert asyncio.run(scenario()) == (0, 3)
    assert delivered_keys(fake_slack) == dict.fromkeys(keys, 1)
    assert {i.attempts for i in OutboxQueue(second_engine).by_status(SENT)} == {2}
    second_engine.dispose()


def test_two_workers_with_random_429s_deliver_everything_exactly_once(engine, fake_slack) -> None:  # type: ignore[no-untyped-def]
    keys = enqueue(engine, *(f"U{n}" for n in range(60)), *(["C1"] * 4))
    fake_slack.fail_randomly("chat.postMessage", status=429, rate=0.2, retry_after=1, seed=3)
    time = FakeTime()
    workers = [worker_for(engine, fake_slack, time, name=n, batch_size=10) for n in ("a", "b")]

    async def scenario() -> None:
        for _ in range(200):
            await asyncio.gather(*(w.run_once() for w in workers))
            if set(statuses(engine).values()) == {SENT}:
                break
            time.advance(1)
        await close(*workers)

    asyncio.run(scenario())
    assert set(statuses(engine).values()) == {SENT}
    assert delivered_keys(fake_slack) == dict.fromkeys(keys, 1)
    assert any(c.status == 429 for c in fake_slack.calls)


def test_a_connection_error_is_retried_not_lost(engine) -> None:  # type: ignore[no-untyped-def]
    (key,) = enqueue(engine, "U1")
    with FakeSlack() as fake:
        closed_url = fake.api_url  # nothing listens here once the fake has stopped
    time = FakeTime()
    messenger = SlackMessenger(token=TOKEN, base_url=closed_url, render=plain_render)
    worker = DeliveryWorker(OutboxQueue(engine), {"slack": messenger}, clock=time, timer=time)

    async def scenario() -> int:
        tally = await worker.run_once()
        await close(worker)
        return tally.retrying

    assert asyncio.run(scenario()) == 1
    (item,) = OutboxQueue(engine).by_status(PENDING)
    assert item.attempts == 1 and item.last_error is not None
    assert item.last_error.startswith("connection: ")


def test_start_and_stop_deliver_in_the_background(engine, fake_slack) -> None:  # type: ignore[no-untyped-def]
    keys = enqueue(engine, "U1", "U2", "U3", at=datetime.now(UTC))
    messenger = SlackMessenger(token=TOKEN, base_url=fake_slack.api_url, render=plain_render)
    policy = DeliveryPolicy(rate_per_second=100.0, poll_interval=0.01)
    worker = DeliveryWorker(OutboxQueue(engine), {"slack": messenger}, policy)

    async def scenario() -> None:
        worker.start()
        for _ in range(500):
            if len(fake_slack.calls_for("chat.postMessage", ok_only=True)) == len(keys):
                break
            await asyncio.sleep(0.01)
        await worker.stop()

    asyncio.run(scenario())
    assert delivered_keys(fake_slack) == dict.fromkeys(keys, 1)
    assert set(statuses(engine).values()) == {SENT}


def test_the_slack_renderer_fits_the_messenger(engine, fake_slack) -> None:  # type: ignore[no-untyped-def]
    from bot.slack.render import render_message

    enqueue(engine, "U1")
    time = FakeTime()
    messenger = SlackMessenger(token=TOKEN, base_url=fake_slack.api_url, render=render_message)
    worker = DeliveryWorker(OutboxQueue(engine), {"slack": messenger}, clock=time, timer=time)

    async def scenario() -> int:
        tally = await worker.run_once()
        await close(worker)
        return tally.sent

    assert asyncio.run(scenario()) == 1
    (call,) = fake_slack.calls_for("chat.postMessage")
    assert call.params["blocks"] and "Acme" in str(call.params["blocks"])


def test_the_pacer_keeps_the_global_rate_and_one_message_a_second_per_channel() -> None:
    from bot.delivery.pacing import Pacer

    time = FakeTime()
    pacer = Pacer(rate_per_second=10.0, channel_interval=1.0, timer=time)

    async def turns(*channels: str) -> float:
        start = time.monotonic()
        for channel in channels:
            await pacer.turn(channel)
        return round(time.monotonic() - start, 6)

    assert asyncio.run(turns("a", "b", "c", "d", "e")) == 0.4  # 10/s: a slot every 0.1 s
    assert asyncio.run(turns("f", "f", "f")) == 2.1  # one a second on one channel
    pacer.rate_limited("g", retry_after=3)
    assert pacer.channel_wait("g") == 3 and pacer.paused_for == 0
    assert asyncio.run(turns("h")) == 0.0  # the slot the 429 used was given back


def test_the_pacer_pauses_everything_when_most_answers_are_429s() -> None:
    from bot.delivery.pacing import RECENT, Pacer

    pacer = Pacer(rate_per_second=10.0, timer=FakeTime())
    for n in range(RECENT // 2):
        pacer.accepted()
        pacer.rate_limited(f"c{n}", retry_after=2)
    assert pacer.paused_for == 0  # half of the answers: busy channels, not the workspace
    pacer.rate_limited("one-more", retry_after=5)
    assert pacer.paused_for == 5
