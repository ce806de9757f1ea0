"""`log` on Teams end to end: one line, the pick list, the card form with inline errors, Undo."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from bot.teams.render import CARD_CONTENT_TYPE
from bot.teams.replies import MESSAGE_RESPONSE
from handlers.log_form import LOG_FORM
from tests.adaptive_cards import card_text, presses
from tests.slack_world import activities
from tests.teams_world import TeamsWorld, teams_world


@pytest.fixture
def world(database_url: str) -> Iterator[TeamsWorld]:
    with teams_world(database_url) as w:
        yield w


def _activities(world: TeamsWorld) -> list[tuple[Any, ...]]:
    return activities(world.services.engine)


def _press(card: dict[str, Any], action_id: str, title: str | None = None) -> dict[str, Any]:
    return next(
        data
        for action, data in presses(card)
        if action["verb"] == action_id and (title is None or action["title"] == title)
    )


def test_one_line_logs_the_call_and_sets_the_next_step(world: TeamsWorld) -> None:
    world.message("ana", "log globex called Tom, wants pricing next: send pricing by fri")
    card = world.last_card(1)
    assert "Logged a call on Globex renewal" in card_text(card)
    assert "Next: send pricing by Fri 27 Nov" in card_text(card)
    deal_id = world.seeded.deals["Globex renewal"]
    assert _activities(world) == [(deal_id, "call", "called Tom, wants pricing", "teams")]
    with world.uow() as uow:
        deal = uow.deals.get(deal_id)
    assert deal is not None and deal.next_action is not None
    assert (deal.next_action.text, deal.next_action.due) == ("send pricing", date(2026, 11, 27))


def test_undo_puts_the_deal_back_in_place_of_the_confirmation(world: TeamsWorld) -> None:
    world.message("ana", "log globex called Tom next: send pricing by fri")
    undo = _press(world.last_card(1), "dealbot.undo")
    kind, value = world.answer(world.execute("ben", undo))
    assert kind == MESSAGE_RESPONSE and "Only the person who logged it" in value
    kind, value = world.answer(world.execute("ana", undo))
    assert kind == CARD_CONTENT_TYPE and "Undone" in card_text(value)
    assert _activities(world) == []
    with world.uow() as uow:
        deal = uow.deals.get(world.seeded.deals["Globex renewal"])
    assert deal is not None and deal.next_action is not None
    assert deal.next_action.text == "Send contract"


def test_an_ambiguous_name_offers_a_pick_list(world: TeamsWorld) -> None:
    world.message("ana", "log acme left a voicemail")
    card = world.last_card(1)
    assert "'acme' matches 2 deals" in card_text(card)
    us = _press(card, "dealbot.log_pick", "Acme US")
    kind, value = world.answer(world.execute("ana", us))
    assert kind == MESSAGE_RESPONSE and "Logged a call on Acme US" in value
    assert "Logged a call on Acme US" in card_text(world.last_card(2))
    assert _activities(world) == [
        (world.seeded.deals["Acme US"], "call", "left a voicemail", "teams")
    ]


def test_a_second_press_of_a_pick_list_button_logs_nothing(world: TeamsWorld) -> None:
    world.message("ana", "log acme left a voicemail")
    us = _press(world.last_card(1), "dealbot.log_pick", "Acme US")
    world.answer(world.execute("ana", us))
    kind, value = world.answer(world.execute("ana", us))  # a new activity: a second click
    assert kind == MESSAGE_RESPONSE and "Already logged on Acme US" in value
    assert _activities(world) == [
        (world.seeded.deals["Acme US"], "call", "left a voicemail", "teams")
    ]


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("zebra called them", "No open deal of yours matches 'zebra'"),
        ("globex", "Add what happened"),
        ("globex called next: x by 2020-01-01", "already past"),
    ],
)
def test_bad_lines_say_what_to_do_and_change_nothing(
    world: TeamsWorld, line: str, says: str
) -> None:
    world.message("ana", f"log {line}")
    assert says in world.replies(1)[0].body["text"]
    assert _activities(world) == []


def _form(world: TeamsWorld) -> dict[str, Any]:
    world.message("ana", "log")
    form = world.last_card(1)
    assert form["actions"][0]["verb"] == LOG_FORM
    return form


def test_log_alone_sends_the_form_with_the_reps_deals_and_team(world: TeamsWorld) -> None:
    form = _form(world)
    inputs = {e["id"]: e for e in form["body"] if e["type"].startswith("Input.")}
    deals = [c["title"] for c in inputs["deal"]["choices"]]
    assert deals == ["Acme EU (Acme)", "Acme US (Acme)", "Globex renewal (Globex)"]
    assert [c["title"] for c in inputs["next_owner"]["choices"]] == ["Ana Lopez (me)"]
    assert inputs["next_due"]["type"] == "Input.Date"


def _submission(form: dict[str, Any], **values: str) -> dict[str, Any]:
    """What Teams sends for the form's button: its data with every input's value."""
    return {**form["actions"][0]["data"], **values}


def test_the_form_shows_field_errors_in_place_and_changes_nothing(world: TeamsWorld) -> None:
    form = _form(world)
    sent = _submission(form, deal="", kind="call", next_due="2020-01-01", next_owner="999x")
    kind, value = world.answer(world.execute("ana", sent, verb=LOG_FORM))
    assert kind == CARD_CONTENT_TYPE
    shown = card_text(value)
    for problem in ("Pick a deal", "That date is past", "Say what the next action is"):
        assert problem in shown
    due = next(e for e in value["body"] if e.get("id") == "next_due")
    assert due["value"] == "2020-01-01"
    assert _activities(world) == []


def test_a_valid_form_logs_and_moves_the_stage(world: TeamsWorld) -> None:
    form = _form(world)
    deal_id = str(world.seeded.deals["Acme EU"])
    sent = _submission(
        form, deal=deal_id, kind="meeting", outcome="Meeting booked",
        notes="Walked through the proposal", next_text="Send the order form",
        next_owner=str(world.seeded.ana), next_due="2026-11-30", stage="Negotiation",
    )  # fmt: skip
    kind, value = world.answer(world.execute("ana", sent, verb=LOG_FORM))
    assert kind == CARD_CONTENT_TYPE and "Logged a meeting on Acme EU" in card_text(value)
    with world.uow() as uow:
        deal = uow.deals.get(int(deal_id))
    assert deal is not None and deal.stage == "Negotiation"
    assert deal.next_action is not None and deal.next_action.due == date(2026, 11, 30)


def test_a_form_submitted_twice_logs_once_and_a_second_form_logs_again(
    world: TeamsWorld,
) -> None:
    form = _form(world)
    deal_id = str(world.seeded.deals["Acme US"])
    sent = _submission(form, deal=deal_id, kind="call", notes="Quick call")
    kind, value = world.answer(world.execute("ana", sent, verb=LOG_FORM))
    assert kind == CARD_CONTENT_TYPE and "Logged a call on Acme US" in card_text(value)
    kind, value = world.answer(world.execute("ana", sent, verb=LOG_FORM))
    assert kind == MESSAGE_RESPONSE and "Already logged on Acme US" in value
    assert len(_activities(world)) == 1

    world.message("ana", "log")  # a new form: the same note again is a second call
    again = _submission(world.last_card(2), deal=deal_id, kind="call", notes="Quick call")
    kind, value = world.answer(world.execute("ana", again, verb=LOG_FORM))
    assert kind == CARD_CONTENT_TYPE and "Logged a call on Acme US" in card_text(value)
    assert len(_activities(world)) == 2


def test_the_form_through_a_submit_updates_the_form_message(world: TeamsWorld) -> None:
    form = _form(world)
    deal_id = str(world.seeded.deals["Acme US"])
    world.submit(
        "ana", _submission(form, deal=deal_id, kind="call", notes="Quick call"), card_id="1:9"
    )
    (update,) = world.updates(1)
    assert update.activity_id == "1:9" and "Logged a call on Acme US" in card_text(update.card)


def test_log_call_on_a_list_item_sends_the_form_for_that_deal(world: TeamsWorld) -> None:
    world.message("ana", "deals")
    card = world.last_card(1)
    log_call = next(
        data
        for action, data in presses(card)
        if action["verb"] == "dealbot.log"
        and data["value"].split("|")[1] == str(world.seeded.deals["Acme EU"])
    )
    kind, value = world.answer(world.execute("ana", log_call))
    assert kind == MESSAGE_RESPONSE
    form = world.last_card(2)
    deal = next(e for e in form["body"] if e.get("id") == "deal")
    assert deal["value"] == str(world.seeded.deals["Acme EU"])


def _sent(world: TeamsWorld) -> int:
    return len(world.fake.calls_for("send", "reply"))


def test_a_message_teams_delivers_twice_logs_one_call_and_answers_once(world: TeamsWorld) -> None:
    line = world.message_activity("ana", "log globex called Tom, wants pricing")
    first, again = world.post(line), world.post(line)  # the same activity id: a redelivery
    assert (first.status_code, again.status_code) == (200, 200)
    assert "Logged a call on Globex renewal" in card_text(world.last_card(1))
    deal_id = world.seeded.deals["Globex renewal"]
    assert _activities(world) == [(deal_id, "call", "called Tom, wants pricing", "teams")]
    assert _sent(world) == 1  # each post returns after its turn, replies included

    world.message("ana", "log globex called Tom, wants pricing")  # typed again: a new activity
    assert len(_activities(world)) == 2 and _sent(world) == 2


def test_a_press_teams_delivers_twice_applies_once_and_gets_the_same_answer(
    world: TeamsWorld,
) -> None:
    world.message("ana", "log acme left a voicemail")
    us = _press(world.last_card(1), "dealbot.log_pick", "Acme US")
    press = world.execute_activity("ana", us)
    first, again = world.answer(world.post(press)), world.answer(world.post(press))
    assert first[0] == MESSAGE_RESPONSE and "Logged a call on Acme US" in first[1]
    assert again == first
    assert _activities(world) == [
        (world.seeded.deals["Acme US"], "call", "left a voicemail", "teams")
    ]
    assert _sent(world) == 2  # the pick list, then the confirmation; nothing for the repeat


def test_a_press_delivered_again_while_the_first_runs_is_told_so(world: TeamsWorld) -> None:
    world.message("ana", "log acme left a voicemail")
    us = _press(world.last_card(1), "dealbot.log_pick", "Acme US")
    press = world.execute_activity("ana", us)
    with world.uow() as uow:  # the first delivery has claimed it and not answered yet
        key = f"teams-activity:{press['conversation']['id']}:{press['id']}"
        assert uow.idempotency.claim(key, at=world.clock.now())
        uow.commit()
    kind, value = world.answer(world.post(press))
    assert kind == MESSAGE_RESPONSE and "being handled" in value
    assert _activities(world) == [] and _sent(world) == 1
