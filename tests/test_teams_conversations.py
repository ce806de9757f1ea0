"""Where the bot may write in Teams, stored: the same rules in the SQL repository (SQLite and
PostgreSQL) and in the fake the handler tests use, so the fake cannot drift."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.model import Rep, Team
from core.ports import TeamsConversation
from handlers.targets import Target, channel_target, dm_target
from storage.db import create_engine_for, create_schema
from storage.uow import UnitOfWorkFactory
from tests.fakes import FakeDatabase, FakeUnitOfWork

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sql", "fake"])
def units(request: pytest.FixtureRequest, database_url: str) -> Iterator[Callable[[], Any]]:
    if request.param == "fake":
        if not database_url.startswith("sqlite"):
            pytest.skip("the fake is checked once, beside SQLite")
        database = FakeDatabase()
        yield lambda: FakeUnitOfWork(database)
        return
    engine = create_engine_for(database_url)
    create_schema(engine)
    yield UnitOfWorkFactory(engine)
    engine.dispose()


def chat(key: str, conversation: str | None, at: datetime = NOW, **names: Any) -> TeamsConversation:
    reference: dict[str, Any] = {"serviceUrl": "https://smba.example/", "user": {"id": "29:1"}}
    if conversation:
        reference["conversation"] = {"id": conversation}
    return TeamsConversation(key, reference, at, tenant_id="t1", **names)


def test_the_newest_reference_wins_and_a_sighting_never_replaces_a_chat(units) -> None:  # type: ignore[no-untyped-def]
    with units() as uow:
        uow.teams_conversations.save(chat("user:a", None), replace=False)
        uow.commit()
    with units() as uow:
        uow.teams_conversations.save(chat("user:a", "a:1", NOW + timedelta(minutes=1)))
        uow.teams_conversations.save(
            chat("user:a", None, NOW + timedelta(minutes=2)), replace=False
        )
        uow.commit()
    with units() as uow:
        found = uow.teams_conversations.get("user:a")
        assert uow.teams_conversations.get("user:b") is None
    assert found == chat("user:a", "a:1", NOW + timedelta(minutes=1))


def test_channels_are_listed_by_team_and_forgotten_on_removal(units) -> None:  # type: ignore[no-untyped-def]
    with units() as uow:
        uow.teams_conversations.save(
            chat("channel:19:b", "19:b", team_name="Sales", channel_name="Deals")
        )
        uow.teams_conversations.save(
            chat("channel:19:a", "19:a", team_name="Sales", channel_name="General")
        )
        uow.teams_conversations.save(
            chat("channel:19:c", "19:c", team_name="Field", channel_name="General")
        )
        uow.teams_conversations.save(chat("user:a", "a:1"))
        uow.commit()
    with units() as uow:
        listed = [c.key for c in uow.teams_conversations.channels()]
        uow.teams_conversations.forget("channel:19:b")
        uow.teams_conversations.forget("channel:19:none")
        uow.commit()
    assert listed == [
        "channel:19:c",
        "channel:19:b",
        "channel:19:a",
    ]  # Field; Sales: Deals, General
    with units() as uow:
        assert [c.key for c in uow.teams_conversations.channels()] == [
            "channel:19:c",
            "channel:19:a",
        ]


def test_a_reference_without_names_keeps_the_names_known_from_the_install(units) -> None:  # type: ignore[no-untyped-def]
    with units() as uow:
        installed = chat("channel:19:a", "19:a", team_name="Sales", channel_name="General")
        uow.teams_conversations.save(installed)
        uow.commit()
    with units() as uow:  # a message in the channel later: Teams names neither team nor channel
        uow.teams_conversations.save(chat("channel:19:a", "19:a;m=5", NOW + timedelta(hours=1)))
        uow.commit()
    with units() as uow:
        (found,) = uow.teams_conversations.channels()
    assert (found.team_name, found.channel_name) == ("Sales", "General")
    assert found.reference["conversation"]["id"] == "19:a;m=5"
    assert found.updated_at == NOW + timedelta(hours=1)


def test_leaving_without_commit_stores_nothing(units) -> None:  # type: ignore[no-untyped-def]
    with units() as uow:
        uow.teams_conversations.save(chat("user:a", "a:1"))
    with units() as uow:
        assert uow.teams_conversations.get("user:a") is None


@pytest.mark.parametrize(
    ("rep", "target"),
    [
        (Rep("ana@x.com", "Ana", slack_user_id="U1", teams_user_id="aad-1"), Target("slack", "U1")),
        (Rep("ana@x.com", "Ana", teams_user_id="aad-1"), Target("teams", "user:aad-1")),
        (Rep("ana@x.com", "Ana"), Target("slack", "email:ana@x.com")),
    ],
)
def test_a_dm_goes_where_the_rep_is_known(rep: Rep, target: Target) -> None:
    assert dm_target(rep) == target


@pytest.mark.parametrize(
    ("team", "target"),
    [
        (None, None),
        (Team("Sales"), None),
        (Team("Sales", alert_channel="C1"), Target("slack", "C1")),
        (
            Team("Sales", teams_channel="19:a@thread.tacv2"),
            Target("teams", "channel:19:a@thread.tacv2"),
        ),
        (Team("Sales", alert_channel="C1", teams_channel="19:a"), Target("teams", "channel:19:a")),
    ],
)
def test_a_teams_alert_channel_wins_over_a_slack_one(
    team: Team | None, target: Target | None
) -> None:
    assert channel_target(team) == target
