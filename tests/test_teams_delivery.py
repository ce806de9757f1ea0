"""The outbox to Teams through the delivery worker and the fake Bot Connector: chats, channels,
chats created on first use, edits in place, and Teams' 429/412/502/504 answers.

Time is a fake (`FakeTime` from the Slack delivery tests): a Retry-After or a backoff is a jump of
the fake clock, never a real wait.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from datetime import time as day_time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine

from bot.delivery.worker import DeliveryPolicy, DeliveryWorker
from bot.settings import load_settings
from bot.teams.adapter import bot_authentication
from bot.teams.messenger import NOT_INSTALLED, TeamsMessenger
from core.messages import Message, Section, message_to_dict
from core.ports import TeamsConversation
from storage.delivery import DEAD, PENDING, SENT, OutboxQueue
from storage.uow import SqlUnitOfWork, UnitOfWorkFactory
from tests.adaptive_cards import assert_valid_card, card_text
from tests.fake_teams import OUTBOUND_TOKEN, FakeTeams
from tests.teams_world import APP_ID, BOT_ID, CHANNEL_ID, TENANT
from tests.test_delivery import NOW, FakeTime


@pytest.fixture
def fake() -> Iterator[FakeTeams]:
    with FakeTeams() as fake:
        yield fake


def remember(engine: Engine, fake: FakeTeams, key: str, conversation: str | None) -> None:
    """A stored reference as an install (or, without a conversation, a channel sighting) leaves it."""
    reference: dict[str, Any] = {
        "bot": {"id": BOT_ID, "name": "dealbot"}, "channelId": "msteams", "serviceUrl": fake.url,
        "user": {"id": "29:1ana", "aadObjectId": "aad-ana"},
    }  # fmt: skip
    if conversation is not None:
        reference["conversation"] = {"id": conversation}
    with SqlUnitOfWork(engine) as uow:
        uow.teams_conversations.save(TeamsConversation(key, reference, NOW, tenant_id=TENANT))
        uow.commit()


def enqueue(engine: Engine, target: str, key: str = "digest:1:2026-11-23") -> str:
    message = Message(summary="Good morning Ana", title="Good morning", sections=(Section("Acme"),))
    with SqlUnitOfWork(engine) as uow:
        uow.outbox.enqueue(
            key=key, platform="teams", target=target,
            payload={"message": message_to_dict(message)}, at=NOW,
        )  # fmt: skip
        uow.commit()
    return key


def worker_for(engine: Engine, fake: FakeTeams, time: FakeTime, **policy: Any) -> DeliveryWorker:
    settings = load_settings(
        teams_app_id=APP_ID, teams_app_password="test-app-password", teams_tenant_id=TENANT,
        teams_openid_metadata_url=fake.metadata_url,
    )  # fmt: skip
    messenger = TeamsMessenger(
        bot_authentication(settings, lambda scope: OUTBOUND_TOKEN),
        app_id=APP_ID, uow_factory=UnitOfWorkFactory(engine), clock=time,
    )  # fmt: skip
    options = {"rate_per_second": 50.0, "backoff_base": 10.0, **policy}
    return DeliveryWorker(
        OutboxQueue(engine), {"teams": messenger}, DeliveryPolicy(**options), clock=time, timer=time
    )


def run(worker: DeliveryWorker, time: FakeTime, rounds: int = 1, step: float = 0.0) -> list[Any]:
    async def scenario() -> list[Any]:
        tallies = []
        for _ in range(rounds):
            tallies.append(await worker.run_once())
            time.advance(step)
        await worker.stop()
        return tallies

    return asyncio.run(scenario())


def rows(engine: Engine) -> dict[str, Any]:
    return {item.key: item for item in OutboxQueue(engine).by_status(limit=100)}


def test_a_dm_goes_to_the_stored_chat_with_a_valid_card_and_the_token(engine, fake) -> None:  # type: ignore[no-untyped-def]
    remember(engine, fake, "user:aad-ana", "a:chat-ana")
    key = enqueue(engine, "user:aad-ana")
    (tally,) = run(worker_for(engine, fake, FakeTime()), FakeTime())
    assert tally.sent == 1
    (call,) = fake.calls_for("send")
    assert call.conversation == "a:chat-ana" and call.body["summary"] == "Good morning Ana"
    assert call.headers["authorization"] == f"Bearer {OUTBOUND_TOKEN}"
    assert call.card is not None
    assert_valid_card(call.card)
    assert "Acme" in card_text(call.card)
    assert rows(engine)[key].status == SENT


def test_a_person_seen_only_in_a_channel_gets_their_chat_created_once(engine, fake) -> None:  # type: ignore[no-untyped-def]
    remember(engine, fake, "user:aad-ana", None)
    enqueue(engine, "user:aad-ana", "digest:1:2026-11-23")
    enqueue(engine, "user:aad-ana", "digest:1:2026-11-24")
    time = FakeTime()
    run(worker_for(engine, fake, time), time, rounds=2, step=1)
    (created,) = fake.calls_for("create")
    assert created.body["members"] == [{"id": "29:1ana"}]
    assert created.body["channelData"] == {"tenant": {"id": TENANT}}
    sends = fake.calls_for("send")
    assert [c.conversation for c in sends] == ["a:chat-1", "a:chat-1"]
    with SqlUnitOfWork(engine) as uow:
        chat = uow.teams_conversations.get("user:aad-ana")
    assert chat is not None and chat.reference["conversation"]["id"] == "a:chat-1"


def test_a_channel_alert_goes_to_the_channel_and_an_edit_updates_it(engine, fake) -> None:  # type: ignore[no-untyped-def]
    remember(engine, fake, f"channel:{CHANNEL_ID}", CHANNEL_ID)
    key = enqueue(engine, f"channel:{CHANNEL_ID}", "alert:7:hot")
    time = FakeTime()
    run(worker_for(engine, fake, time), time)
    (post,) = fake.calls_for("send")
    assert post.conversation == CHANNEL_ID
    landed = OutboxQueue(engine).landed(key)
    assert landed is not None and landed[0] == SENT and landed[1] is not None
    where, _, activity_id = landed[1].partition("/")
    assert where == f"channel:{CHANNEL_ID}" and activity_id.startswith("1:")
    with SqlUnitOfWork(engine) as uow:
        accepted = Message(summary="Accepted by Ana", sections=(Section("Accepted by Ana"),))
        uow.outbox.revise(
            key="alert:7:hot:accepted", edit_of=key, platform="teams",
            target=f"channel:{CHANNEL_ID}", payload={"message": message_to_dict(accepted)}, at=NOW,
        )  # fmt: skip
        uow.commit()
    run(worker_for(engine, fake, time), time)
    (update,) = fake.calls_for("update")
    assert (update.conversation, update.activity_id) == (CHANNEL_ID, activity_id)
    assert "Accepted by Ana" in card_text(update.card)
    assert rows(engine)["alert:7:hot:accepted"].status == SENT


@pytest.mark.parametrize("status", [412, 502, 504])
def test_412_502_and_504_back_off_and_deliver_once(engine, fake, status: int) -> None:  # type: ignore[no-untyped-def]
    remember(engine, fake, "user:aad-ana", "a:chat-ana")
    key = enqueue(engine, "user:aad-ana")
    fake.fail("send", status=status, times=1)
    time = FakeTime()
    worker = worker_for(engine, fake, time)

    async def scenario() -> tuple[int, str | None, float, int]:
        failed = await worker.run_once()
        waiting = rows(engine)[key]
        backoff = (waiting.next_attempt_at - NOW).total_seconds() if waiting.next_attempt_at else 0
        time.advance(11)
        later = await worker.run_once()
        await worker.stop()
        return failed.retrying, waiting.last_error, backoff, later.sent

    retrying, error, backoff, sent = asyncio.run(scenario())
    assert (retrying, error, sent) == (1, f"HTTP {status}", 1)
    assert 5.0 <= backoff <= 10.0
    assert [c.status for c in fake.calls_for("send")] == [status, 201]  # no retries inside the SDK


def test_a_429_waits_for_retry_after_and_is_not_counted_as_an_attempt(engine, fake) -> None:  # type: ignore[no-untyped-def]
    remember(engine, fake, "user:aad-ana", "a:chat-ana")
    key = enqueue(engine, "user:aad-ana")
    fake.fail("send", status=429, retry_after=3, times=1)
    time = FakeTime()
    tallies = run(worker_for(engine, fake, time), time, rounds=3, step=1.5)
    assert [(t.rate_limited, t.sent) for t in tallies] == [(1, 0), (0, 0), (0, 1)]
    item = rows(engine)[key]
    assert item.status == SENT and item.attempts == 1


def test_a_refusal_is_dead_at_once_and_so_is_a_target_never_installed(engine, fake) -> None:  # type: ignore[no-untyped-def]
    remember(engine, fake, "user:aad-ana", "a:chat-ana")
    blocked = enqueue(engine, "user:aad-ana", "digest:1:2026-11-23")
    unknown = enqueue(engine, "user:aad-nobody", "digest:2:2026-11-23")
    fake.fail("send", status=403, times=1)
    time = FakeTime()
    run(worker_for(engine, fake, time), time)
    found = rows(engine)
    assert (found[blocked].status, found[blocked].last_error) == (DEAD, "HTTP 403")
    assert (found[unknown].status, found[unknown].last_error) == (DEAD, NOT_INSTALLED)


def test_a_connection_error_is_retried_not_lost(engine) -> None:  # type: ignore[no-untyped-def]
    with FakeTeams() as gone:
        remember(engine, gone, "user:aad-ana", "a:chat-ana")
        key = enqueue(engine, "user:aad-ana")
    time = FakeTime()
    with FakeTeams() as fake:
        (tally,) = run(worker_for(engine, fake, time), time)
    assert tally.retrying == 1
    item = rows(engine)[key]
    assert item.status == PENDING and (item.last_error or "").startswith("connection: ")


def test_teams_conversations_are_paced_every_half_second_slack_channels_every_second() -> None:
    from bot.delivery.pacing import Pacer

    policy = DeliveryPolicy()
    pacer = Pacer(100.0, policy.channel_interval, FakeTime(), policy.platform_intervals)
    assert pacer.interval_of("teams:user:aad-ana") == 0.5
    assert pacer.interval_of("slack:U1") == 1.0
    assert 30 / pacer.interval_of("teams:x") == 60  # Teams allows 60 in 30 s per conversation


def test_the_morning_digest_reaches_a_teams_user_through_the_running_app(database_url) -> None:  # type: ignore[no-untyped-def]
    """The app's own delivery worker (started with it, on the real clock) sends the digest that
    the digest pass wrote for a rep linked to Teams on install."""
    from handlers.digest import enqueue_due_digests
    from tests.teams_world import teams_world

    with teams_world(database_url, delivery_enabled=True) as world:
        world.install_personal("ana")  # stores her chat and links her Teams user to her rep
        world.replies(1)
        services = world.services
        with services.uow_factory() as uow:  # at work every hour of every day: due right now
            ana = uow.reps.get(world.seeded.ana)
            assert ana is not None
            always = dict(
                working_days=tuple(range(7)), work_start=day_time(0, 0), work_end=day_time(23, 59)
            )
            uow.reps.update(dataclasses.replace(ana, **always))
            uow.commit()
        now = datetime.now(UTC)
        enqueue_due_digests(
            services.uow_factory, services.forecaster(), services.settings.pipeline,
            at=now, size=services.settings.digest_size,
        )  # fmt: skip
        posts = world.fake.wait_for("send", count=2)  # the hello on install, then the digest
        (digest,) = [c for c in posts if c.conversation == "a:chat-ana" and c.card is not None]
        assert digest.card is not None
        assert_valid_card(digest.card)
        assert "Good morning, Ana" in card_text(digest.card)
        assert "Globex renewal" in card_text(digest.card)
        queue = OutboxQueue(services.engine)
        key = f"digest:{world.seeded.ana}:{now.astimezone(ZoneInfo('Europe/Berlin')).date()}"
        (row,) = [i for i in queue.by_status(limit=10) if i.key == key]
    assert (row.platform, row.target, row.status) == ("teams", "user:aad-ana", SENT)


def test_any_process_that_delivers_gets_the_teams_messenger_from_its_services(engine) -> None:  # type: ignore[no-untyped-def]
    from bot.delivery.wiring import build_delivery_worker
    from bot.services import build_services
    from bot.slack.render import render_message
    from bot.teams.app import build_teams_messenger

    configured = load_settings(
        database_url="sqlite://", teams_app_id=APP_ID, teams_app_password="test-app-password",
        teams_tenant_id=TENANT,
    )  # fmt: skip
    services = build_services(configured)
    worker = build_delivery_worker(
        configured, engine, slack_render=render_message, teams=build_teams_messenger(services)
    )
    assert worker is not None and set(worker.messengers) == {"teams"}
    assert isinstance(worker.messengers["teams"], TeamsMessenger)
    services.close()
    plain = build_services(load_settings(database_url="sqlite://"))
    assert build_teams_messenger(plain) is None
    plain.close()
