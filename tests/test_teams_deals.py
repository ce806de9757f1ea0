"""`deals` and the list buttons on Teams, end to end: signed activities in, database and the fake
Bot Connector out. Every card that comes back is checked against the Adaptive Card 1.5 schema."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from bot.teams.listeners import OUT_OF_DATE
from bot.teams.render import CARD_CONTENT_TYPE
from bot.teams.replies import MESSAGE_RESPONSE, SENT_PRIVATELY
from bot.teams.translate import TEAMS_HELP
from core.model import ActionStatus, DealStatus
from tests.adaptive_cards import card_text, item_press
from tests.fake_teams import OUTBOUND_TOKEN
from tests.slack_world import action_status
from tests.teams_world import APP_ID, CHANNEL_ID, TEAM_ID, TeamsWorld, teams_world


@pytest.fixture
def world(database_url: str) -> Iterator[TeamsWorld]:
    with teams_world(database_url) as w:
        yield w


def _status(world: TeamsWorld, title_part: str) -> tuple[str, datetime | None]:
    return action_status(world.services.engine, title_part)


def _list_card(world: TeamsWorld, who: str = "ana") -> dict:
    before = len(world.fake.calls_for("send", "reply"))
    assert world.message(who, "deals").status_code == 200
    return world.last_card(before + 1)


def test_deals_in_a_personal_chat_answers_with_the_ranked_list(world: TeamsWorld) -> None:
    card = _list_card(world)
    (reply,) = world.replies(1)
    assert reply.method == "reply" and reply.conversation == "a:chat-ana"
    assert reply.headers["authorization"] == f"Bearer {OUTBOUND_TOKEN}"
    assert reply.body["attachments"][0]["contentType"] == CARD_CONTENT_TYPE
    shown = card_text(card)
    for name in ("Acme EU", "Acme US", "Globex renewal"):
        assert name in shown
    assert "Initech pilot" not in shown  # Ben's deal
    assert "next step 3 days overdue" in shown
    with world.services.engine.connect() as conn:
        assert conn.execute(text("select count(*) from action")).scalar() == 3
    with world.uow() as uow:
        stored = uow.teams_conversations.get("user:aad-ana")
    assert stored is not None and stored.reference["conversation"]["id"] == "a:chat-ana"
    assert stored.reference["serviceUrl"] == world.fake.url


def test_the_rep_is_matched_by_email_once_then_by_object_id(world: TeamsWorld) -> None:
    world.message("ben", "deals")
    world.message("ben", "deals")
    world.replies(2)
    assert len(world.fake.calls_for("member")) == 1
    with world.uow() as uow:
        ben = uow.reps.by_chat_id("teams", "aad-ben")
        assert ben is not None and ben.email == "ben@example.com"
        entry = uow.audit.latest(f"rep:{ben.id}")
    assert entry is not None and entry.after == {"teams_user_id": "aad-ben"}


def test_a_rep_already_known_by_object_id_needs_no_lookup(world: TeamsWorld) -> None:
    with world.uow() as uow:
        mia = uow.reps.get(world.seeded.mia)
        assert mia is not None
        uow.reps.update(dataclasses.replace(mia, teams_user_id="aad-mia"))
        uow.commit()
    world.message("mia", "deals team")
    assert "Initech pilot" in card_text(world.last_card(1))
    assert world.fake.calls_for("member") == []


def test_someone_who_is_not_a_rep_gets_an_explanation(world: TeamsWorld) -> None:
    world.message("stranger", "deals")
    assert "not set up in dealbot" in world.replies(1)[0].body["text"]


def test_help_and_unknown_words_say_what_to_type(world: TeamsWorld) -> None:
    world.message("ana", "help")
    assert world.replies(1)[0].body["text"] == TEAMS_HELP
    world.message("ana", "dance")
    assert "doesn't know 'dance'" in world.replies(2)[-1].body["text"]


def test_a_channel_mention_answers_in_a_private_chat_and_says_so_in_the_thread(
    world: TeamsWorld,
) -> None:
    assert world.mention("ana", "deals globex").status_code == 200
    calls = world.replies(2)
    (created,) = world.fake.calls_for("create")
    assert created.body["members"] == [{"id": "29:1ana"}]
    assert created.body["channelData"] == {"tenant": {"id": "test-tenant"}}
    private = next(c for c in calls if c.method == "send")
    assert private.conversation == "a:chat-1"
    assert "Globex renewal" in card_text(private.card) and "Acme EU" not in card_text(private.card)
    note = next(c for c in calls if c.method == "reply")
    assert (note.conversation or "").startswith(CHANNEL_ID + ";messageid=")
    assert note.body["text"] == SENT_PRIVATELY and "Globex" not in note.text
    with world.uow() as uow:
        chat = uow.teams_conversations.get("user:aad-ana")
        channel = uow.teams_conversations.get(f"channel:{CHANNEL_ID}")
    assert chat is not None and chat.reference["conversation"]["id"] == "a:chat-1"
    assert channel is not None and channel.reference["conversation"]["id"] == CHANNEL_ID
    world.mention("ana", "deals")  # the second time, the stored chat is used
    world.replies(4)
    assert len(world.fake.calls_for("create")) == 1


def test_installing_the_app_stores_the_chat_links_the_rep_and_says_hello(world: TeamsWorld) -> None:
    assert world.install_personal("ben").status_code == 200
    (hello,) = world.replies(1)
    assert hello.conversation == "a:chat-ben" and hello.body["text"].startswith("Hi Ben,")
    with world.uow() as uow:
        chat = uow.teams_conversations.get("user:aad-ben")
        ben = uow.reps.get(world.seeded.ben)
    assert chat is not None and chat.reference["conversation"]["id"] == "a:chat-ben"
    assert chat.reference["bot"]["id"] == f"28:{APP_ID}" and chat.tenant_id == "test-tenant"
    assert ben is not None and ben.teams_user_id == "aad-ben"
    world.install_personal("stranger")
    assert "not set up in dealbot" in world.replies(2)[-1].body["text"]


def test_installing_the_app_in_a_team_stores_its_channel(world: TeamsWorld) -> None:
    assert world.install_team().status_code == 200
    (hello,) = world.replies(1)
    assert hello.conversation == TEAM_ID and "dealbot is in this team" in hello.body["text"]
    with world.uow() as uow:
        (channel,) = uow.teams_conversations.channels()
    assert channel.key == f"channel:{TEAM_ID}"
    assert (channel.team_name, channel.channel_name) == ("Sales", "General")


def test_done_refreshes_the_card_in_place_and_a_second_press_says_it_is_out_of_date(
    world: TeamsWorld,
) -> None:
    card = _list_card(world)
    press = item_press(card, "Globex renewal", "dealbot.done")
    kind, value = world.answer(world.execute("ana", press))
    assert kind == CARD_CONTENT_TYPE
    assert "Done: Send contract: Globex renewal" in card_text(value)
    assert _status(world, "Globex")[0] == ActionStatus.DONE.value
    with world.uow() as uow:
        deal = uow.deals.get(world.seeded.deals["Globex renewal"])
        entry = uow.audit.latest(f"action:{press['value'].split('|')[0]}")
    assert deal is not None and deal.next_action is None
    assert entry is not None and entry.actor == f"rep:{world.seeded.ana} via teams"
    kind, value = world.answer(world.execute("ana", press))  # the same card, a second later
    assert kind == MESSAGE_RESPONSE and value.startswith("Already marked done")
    with world.services.engine.connect() as conn:
        assert conn.execute(
            text("select surface, count(*) from activity group by surface")
        ).all() == [("teams", 1)]


def test_a_submit_from_a_client_without_execute_updates_the_pressed_message(
    world: TeamsWorld,
) -> None:
    card = _list_card(world)
    press = item_press(card, "Acme EU", "dealbot.done")
    assert world.submit("ana", press, card_id="1:77").status_code == 200
    (update,) = world.updates(1)
    assert (update.conversation, update.activity_id) == ("a:chat-ana", "1:77")
    assert "Done: " in card_text(update.card) and "Acme EU" in card_text(update.card)
    assert _status(world, "Acme EU")[0] == ActionStatus.DONE.value
    world.submit("ana", press, card_id="1:77")
    assert world.replies(2)[-1].body["text"].startswith("Already marked done")


def test_snooze_until_tomorrow_morning_in_the_reps_time_zone(world: TeamsWorld) -> None:
    card = _list_card(world)
    press = item_press(card, "Acme EU", "dealbot.snooze", "Tomorrow 08:00")
    kind, value = world.answer(world.execute("ana", press))
    assert kind == CARD_CONTENT_TYPE and "Snoozed" in card_text(value)
    status, until = _status(world, "Acme EU")
    assert status == ActionStatus.SNOOZED.value and until is not None
    local = until.astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.date().isoformat(), local.hour) == ("2026-11-24", 8)


def test_advance_moves_the_deal_and_records_the_change(world: TeamsWorld) -> None:
    card = _list_card(world)
    press = item_press(card, "Acme US", "dealbot.advance", "Won")
    kind, value = world.answer(world.execute("ana", press))
    assert "Moved Acme US from Demo to Won" in card_text(value)
    with world.uow() as uow:
        deal = uow.deals.get(world.seeded.deals["Acme US"])
        assert deal is not None and deal.status is DealStatus.WON
        changes = uow.deals.stage_changes([deal.id or 0])
    assert [(c.from_stage, c.to_stage) for c in changes] == [("Demo", "Won")]


def test_a_rep_cannot_press_someone_elses_item(world: TeamsWorld) -> None:
    press = item_press(_list_card(world), "Acme EU", "dealbot.done")
    kind, value = world.answer(world.execute("ben", press))
    assert kind == MESSAGE_RESPONSE and "someone else's list" in value
    assert _status(world, "Acme EU")[0] == ActionStatus.SHOWN.value


def test_a_mangled_press_is_refused_politely(world: TeamsWorld) -> None:
    data = {"action_id": "dealbot.done", "value": "not-a-uuid||1::"}
    assert world.answer(world.execute("ana", data)) == (MESSAGE_RESPONSE, OUT_OF_DATE)
    world.submit(
        "ana", {"action_id": "dealbot.snooze", "prefix": "x|", "suffix": "", "choice": "c1"}
    )
    assert world.replies(1)[0].body["text"] == OUT_OF_DATE


def test_more_pages_on_in_place(database_url: str) -> None:
    with teams_world(database_url, action_list_size=2) as world:
        card = _list_card(world)
        assert "Showing 1-2" in card_text(card)
        (more,) = [a for a in card["actions"] if a["verb"] == "dealbot.more"]
        kind, value = world.answer(world.execute("ana", more["data"]))
        assert kind == CARD_CONTENT_TYPE and "Showing 3-3" in card_text(value)
        assert not value.get("actions")


def test_lists_on_teams_hold_five_items_a_page(database_url: str) -> None:
    with teams_world(database_url) as world:
        assert world.services.deps("teams").page_size == 5
        assert world.services.deps("slack").page_size == 10


def test_removing_the_app_forgets_the_chat_but_a_team_removal_keeps_peoples_chats(
    world: TeamsWorld,
) -> None:
    world.install_personal("ana")
    world.install_team("ana")
    world.replies(2)
    removed = world.base("ana", "installationUpdate", world.personal("ana")) | {"action": "remove"}
    assert world.post(removed).status_code == 200
    with world.uow() as uow:
        assert uow.teams_conversations.get("user:aad-ana") is None
        assert uow.teams_conversations.get(f"channel:{TEAM_ID}") is not None
    world.install_personal("ana")
    left = world.base("ana", "conversationUpdate", world.channel(TEAM_ID))
    left |= {"membersRemoved": [{"id": f"28:{APP_ID}"}]}
    left["channelData"] = {"team": {"id": TEAM_ID, "name": "Sales"}, "eventType": "teamMemberRemoved",
                           "tenant": {"id": "test-tenant"}}  # fmt: skip
    assert world.post(left).status_code == 200
    with world.uow() as uow:
        assert uow.teams_conversations.get(f"channel:{TEAM_ID}") is None
        assert uow.teams_conversations.get("user:aad-ana") is not None


def test_handlers_in_worker_processes_answer_the_same(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/dealbot.db"
    with teams_world(url, action_list_size=2, handler_processes=1) as world:
        world.message("ana", "deals")
        card = world.last_card(1)
        assert "Showing 1-2" in card_text(card) and card["actions"][0]["verb"] == "dealbot.more"
        press = item_press(card, "Globex renewal", "dealbot.done")
        kind, value = world.answer(world.execute("ana", press))
        assert kind == CARD_CONTENT_TYPE and "Done: Send contract" in card_text(value)
