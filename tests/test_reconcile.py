"""A sender that dies between Slack taking a message and marking its row sent: the next worker
looks in the conversation's history (by the outbox key in the message metadata) before sending.

The crashed sender is played by a claim that is never settled, plus, where Slack took the
message, a post with that row's metadata made straight to the fake. Rows are written at the real
time: the fake stamps messages with real `ts` values, and the history is read from the row's
creation on.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient

from bot.delivery.slack import HISTORY_PAGES, METADATA_EVENT
from storage.delivery import DEAD, LEASE_LOST, PENDING, SENT, OutboxQueue
from tests.fake_slack import FakeSlack
from tests.test_delivery import (
    NOW,
    FakeTime,
    close,
    delivered_keys,
    enqueue,
    worker_for,
)

LEASE = timedelta(minutes=5)


def crash_after_claim(engine, *, posted_by_crashed: dict[str, str], fake: FakeSlack) -> None:  # type: ignore[no-untyped-def]
    """A worker claims every due row, Slack takes the posts in `posted_by_crashed` (key ->
    channel), and the worker dies before settling anything."""
    OutboxQueue(engine).claim(worker="crashed", at=NOW, limit=100, lease=LEASE)
    web = WebClient(token="test-bot-token", base_url=fake.api_url, retry_handlers=[])
    for key, channel in posted_by_crashed.items():
        metadata = {"event_type": METADATA_EVENT, "event_payload": {"key": key}}
        web.chat_postMessage(channel=channel, text="sent before the crash", metadata=metadata)


def run_after_lease(engine, fake: FakeSlack, rounds: int = 1, **policy):  # type: ignore[no-untyped-def]
    time = FakeTime()
    worker = worker_for(engine, fake, time, name="survivor", **policy)

    async def scenario() -> list[int]:
        time.advance(LEASE.total_seconds())
        sent = []
        for _ in range(rounds):
            sent.append((await worker.run_once()).sent)
            time.advance(60)
        await close(worker)
        return sent

    return asyncio.run(scenario())


def test_a_message_slack_took_before_the_crash_is_marked_sent_not_posted_again(
    engine, fake_slack
) -> None:  # type: ignore[no-untyped-def]
    keys = enqueue(engine, "C1", "U7", "C1", at=datetime.now(UTC))
    crash_after_claim(engine, posted_by_crashed={keys[0]: "C1", keys[1]: "U7"}, fake=fake_slack)

    run_after_lease(engine, fake_slack, rounds=2)  # the second row for C1 waits for its channel

    assert delivered_keys(fake_slack) == dict.fromkeys(keys, 1)
    sent = OutboxQueue(engine).by_status(SENT)
    assert {i.key for i in sent} == set(keys)
    assert {i.last_error for i in sent if i.key != keys[2]} == {LEASE_LOST}
    dm_ts = fake_slack.history.messages("D7")[0]["ts"]
    assert OutboxQueue(engine).landed(keys[1]) == ("sent", f"D7/{dm_ts}")
    opened = fake_slack.calls_for("conversations.open", ok_only=True)
    assert [c.params["users"] for c in opened] == ["U7"]
    histories = fake_slack.calls_for("conversations.history", ok_only=True)
    assert all(c.params["include_all_metadata"] in (True, "true", "1") for c in histories)


def test_a_history_check_that_fails_keeps_the_row_unsure_and_checks_again(
    engine, fake_slack
) -> None:  # type: ignore[no-untyped-def]
    (key,) = enqueue(engine, "C1", at=datetime.now(UTC))
    crash_after_claim(engine, posted_by_crashed={key: "C1"}, fake=fake_slack)
    fake_slack.fail("conversations.history", status=429, retry_after=2, times=1)
    fake_slack.fail("conversations.history", status=500, times=1)

    first, second, third = run_after_lease(engine, fake_slack, rounds=3)

    assert (first, second, third) == (0, 0, 1)
    assert delivered_keys(fake_slack) == {key: 1}
    assert [c.status for c in fake_slack.calls_for("conversations.history")] == [429, 500, 200]


def test_without_the_history_scope_the_message_is_sent_again_not_lost(engine, fake_slack) -> None:  # type: ignore[no-untyped-def]
    (key,) = enqueue(engine, "C1", at=datetime.now(UTC))
    crash_after_claim(engine, posted_by_crashed={}, fake=fake_slack)
    fake_slack.fail("conversations.history", status=200, error="missing_scope", times=None)

    (sent,) = run_after_lease(engine, fake_slack)

    assert sent == 1 and delivered_keys(fake_slack) == {key: 1}


def test_a_row_retried_after_a_5xx_is_sent_without_a_look(engine, fake_slack) -> None:  # type: ignore[no-untyped-def]
    (key,) = enqueue(engine, "C1", at=datetime.now(UTC))
    fake_slack.fail("chat.postMessage", status=500, times=1)
    time = FakeTime()
    worker = worker_for(engine, fake_slack, time)

    async def scenario() -> None:
        await worker.run_once()
        time.advance(60)
        await worker.run_once()
        await close(worker)

    asyncio.run(scenario())
    assert delivered_keys(fake_slack) == {key: 1}
    assert fake_slack.calls_for("conversations.history") == []


def test_a_row_whose_send_lost_its_connection_is_looked_for_first(engine, fake_slack) -> None:  # type: ignore[no-untyped-def]
    (key,) = enqueue(engine, "C1", at=datetime.now(UTC))
    web = WebClient(token="test-bot-token", base_url=fake_slack.api_url, retry_handlers=[])
    metadata = {"event_type": METADATA_EVENT, "event_payload": {"key": key}}
    web.chat_postMessage(channel="C1", text="the answer never came back", metadata=metadata)
    queue = OutboxQueue(engine)
    claim = queue.claim(worker="w0", at=NOW, limit=1, lease=LEASE)
    queue.retry_later(
        claim.items[0].id, token=claim.token, due=NOW, error="connection: TimeoutError"
    )

    (sent,) = run_after_lease(engine, fake_slack)

    assert sent == 1 and delivered_keys(fake_slack) == {key: 1}
    assert len(fake_slack.calls_for("conversations.history")) == 1
    assert queue.by_status(PENDING) == []


def test_a_busy_channel_past_the_page_budget_is_unsure_not_posted_again(engine, fake_slack) -> None:  # type: ignore[no-untyped-def]
    (key,) = enqueue(engine, "C1", at=datetime.now(UTC))
    crash_after_claim(engine, posted_by_crashed={key: "C1"}, fake=fake_slack)
    for n in range(1000):  # the channel talks on after the crashed post
        fake_slack.history.posted("C1", fake_slack.next_ts(), {"text": f"chat {n}"}, {"user": "U1"})

    (sent,) = run_after_lease(engine, fake_slack)

    assert sent == 0 and delivered_keys(fake_slack) == {key: 1}  # only the crashed post
    (row,) = OutboxQueue(engine).by_status(PENDING)
    assert row.last_error == LEASE_LOST  # still unsure: looked for again on the next try
    histories = fake_slack.calls_for("conversations.history", ok_only=True)
    assert len(histories) == HISTORY_PAGES
    assert all(float(c.params["latest"]) > float(c.params["oldest"]) for c in histories)


def test_a_row_that_stays_unsure_goes_to_the_dead_letters_not_out_twice(engine, fake_slack) -> None:  # type: ignore[no-untyped-def]
    (key,) = enqueue(engine, "C1", at=datetime.now(UTC))
    crash_after_claim(engine, posted_by_crashed={key: "C1"}, fake=fake_slack)
    fake_slack.fail("conversations.history", status=500, times=None)

    assert run_after_lease(engine, fake_slack, rounds=3, max_attempts=3) == [0, 0, 0]

    (row,) = OutboxQueue(engine).by_status(DEAD)
    assert (row.attempts, delivered_keys(fake_slack)) == (3, {key: 1})
    assert row.last_error and "could not be ruled out" in row.last_error


def test_only_our_own_bots_message_counts_as_delivered(engine, fake_slack) -> None:  # type: ignore[no-untyped-def]
    (key,) = enqueue(engine, "C1", at=datetime.now(UTC))
    crash_after_claim(engine, posted_by_crashed={}, fake=fake_slack)
    forged = {
        "text": "x",
        "metadata": {"event_type": METADATA_EVENT, "event_payload": {"key": key}},
    }
    fake_slack.history.posted("C1", fake_slack.next_ts(), forged, {"user": "U1"})
    fake_slack.history.posted("C1", fake_slack.next_ts(), forged, {"bot_id": "B0OTHER"})

    (sent,) = run_after_lease(engine, fake_slack)

    assert sent == 1 and delivered_keys(fake_slack) == {key: 1}
    assert len(fake_slack.calls_for("auth.test", ok_only=True)) == 1
