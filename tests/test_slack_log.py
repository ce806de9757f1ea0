"""/log end to end: one line, the pick list, the form with inline errors, Undo."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from tests.slack_world import SlackWorld, activities, all_text, slack_world


@pytest.fixture
def world(database_url: str) -> Iterator[SlackWorld]:
    with slack_world(database_url) as w:
        yield w


def _activities(world: SlackWorld) -> list[tuple[Any, ...]]:
    return activities(world.services.engine)


def _button(params: dict[str, Any], action_id: str) -> dict[str, Any]:
    for block in params.get("blocks", []):
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return {"type": "button", "action_id": action_id, "value": element["value"]}
    raise AssertionError(f"no {action_id} button")


def test_one_line_logs_the_call_and_sets_the_next_step(world: SlackWorld) -> None:
    world.command("UANA", "/log globex called Tom, wants pricing next: send pricing by fri")
    answer = world.last_response(1)
    assert "Logged a call on Globex renewal" in answer["text"]
    assert "Next: send pricing by Fri 27 Nov" in all_text(answer)
    deal_id = world.seeded.deals["Globex renewal"]
    assert _activities(world) == [(deal_id, "call", "called Tom, wants pricing", "slack")]
    with world.uow() as uow:
        deal = uow.deals.get(deal_id)
        assert deal is not None and deal.next_action is not None
        assert (deal.next_action.text, deal.next_action.due) == ("send pricing", date(2026, 11, 27))


def test_undo_within_ten_minutes_puts_the_deal_back(world: SlackWorld) -> None:
    world.command("UANA", "/log globex called Tom next: send pricing by fri")
    undo = _button(world.last_response(1), "dealbot.undo")
    world.press("UBEN", undo)
    assert "Only the person who logged it" in world.last_response(2)["text"]
    world.press("UANA", undo)
    assert "Undone" in all_text(world.last_response(3))
    assert _activities(world) == []
    with world.uow() as uow:
        deal = uow.deals.get(world.seeded.deals["Globex renewal"])
        assert deal is not None and deal.next_action is not None
        assert deal.next_action.text == "Send contract"  # as seeded
    world.press("UANA", undo)
    assert "already undone" in world.last_response(4)["text"]


def test_undo_expires_after_ten_minutes(world: SlackWorld) -> None:
    world.command("UANA", "/log globex called Tom")
    undo = _button(world.last_response(1), "dealbot.undo")
    world.clock.current += timedelta(minutes=11)
    world.press("UANA", undo)
    assert "Undo works for 10 minutes" in world.last_response(2)["text"]
    assert len(_activities(world)) == 1


def test_an_ambiguous_name_offers_a_pick_list(world: SlackWorld) -> None:
    world.command("UANA", "/log acme left a voicemail")
    answer = world.last_response(1)
    assert "'acme' matches 2 deals" in answer["text"]
    assert _activities(world) == []
    picks = [
        e for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"]
        if e["action_id"] == "dealbot.log_pick"
    ]  # fmt: skip
    us = next(p for p in picks if p["text"]["text"] == "Acme US")
    world.press("UANA", {"type": "button", "action_id": us["action_id"], "value": us["value"]})
    assert "Logged a call on Acme US" in world.last_response(2)["text"]
    assert _activities(world) == [
        (world.seeded.deals["Acme US"], "call", "left a voicemail", "slack")
    ]


def test_a_second_click_on_a_pick_list_button_logs_nothing(world: SlackWorld) -> None:
    world.command("UANA", "/log acme left a voicemail")
    answer = world.last_response(1)
    picks = {
        e["text"]["text"]: {"type": "button", "action_id": e["action_id"], "value": e["value"]}
        for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"]
    }  # fmt: skip
    world.press("UANA", picks["Acme US"])
    assert "Logged a call on Acme US" in world.last_response(2)["text"]
    world.press("UANA", picks["Acme US"])
    assert "Already logged on Acme US" in world.last_response(3)["text"]
    us = world.seeded.deals["Acme US"]
    assert _activities(world) == [(us, "call", "left a voicemail", "slack")]
    world.press("UANA", picks["Acme EU"])  # the list's other button is its own control
    assert "Logged a call on Acme EU" in world.last_response(4)["text"]
    assert len(_activities(world)) == 2


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("zebra called them", "No open deal of yours matches 'zebra'"),
        ("initech called", "No open deal of yours matches 'initech'"),  # Ben's deal, not Ana's
        ("globex", "Add what happened"),
        ("globex called next: x by someday", "couldn't read 'by someday'"),
        ("globex called next: x by 2020-01-01", "already past"),
        ("globex " + "blah " * 400, "up to 1,500"),
    ],
)
def test_bad_lines_say_what_to_do_and_change_nothing(
    world: SlackWorld, line: str, says: str
) -> None:
    world.command("UANA", f"/log {line}")
    assert says in world.last_response(1)["text"]
    assert _activities(world) == []


def test_log_without_arguments_opens_the_form(world: SlackWorld) -> None:
    world.command("UANA", "/log")
    opened = world.wait_for("views.open", 1)[0].params
    view = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
    assert view["callback_id"] == "dealbot.log_form"
    assert [b["block_id"] for b in view["blocks"]] == [
        "deal", "kind", "outcome", "notes", "next_text", "next_owner", "next_due", "stage",
    ]  # fmt: skip
    channel, _, once = view["private_metadata"].partition("|")
    assert channel == "C0SALES" and once


def _submission(values: dict[str, dict[str, Any]], metadata: str = "C0SALES") -> dict[str, Any]:
    state = {name: {name: value} for name, value in values.items()}
    return {
        "type": "view_submission", "user": {"id": "UANA", "team_id": "T0FAKE"}, "api_app_id": "A0APP",
        "team": {"id": "T0FAKE"}, "trigger_id": "t",
        "view": {"id": "V1", "type": "modal", "callback_id": "dealbot.log_form",
                 "private_metadata": metadata, "state": {"values": state}},
    }  # fmt: skip


def _option(value: str) -> dict[str, Any]:
    return {
        "type": "static_select",
        "selected_option": {"value": value, "text": {"type": "plain_text", "text": value}},
    }


def test_the_form_shows_field_errors_inline_and_changes_nothing(world: SlackWorld) -> None:
    response = world.interact(
        _submission({
            "deal": {"type": "external_select", "selected_option": None},
            "kind": _option("call"),
            "next_due": {"type": "datepicker", "selected_date": "2020-01-01"},
            "next_owner": {"type": "users_select", "selected_user": "USTRANGER"},
        })
    )  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"deal", "next_due", "next_text", "next_owner", "notes"}
    assert _activities(world) == []


def test_a_valid_form_logs_and_moves_the_stage(world: SlackWorld) -> None:
    deal_id = str(world.seeded.deals["Acme EU"])
    response = world.interact(
        _submission({
            "deal": {"type": "external_select", "selected_option": {"value": deal_id}},
            "kind": _option("meeting"),
            "outcome": _option("Meeting booked"),
            "notes": {"type": "plain_text_input", "value": "Walked through the proposal"},
            "next_text": {"type": "plain_text_input", "value": "Send the order form"},
            "next_owner": {"type": "users_select", "selected_user": "UBEN"},
            "next_due": {"type": "datepicker", "selected_date": "2026-11-30"},
            "stage": _option("Negotiation"),
        })
    )  # fmt: skip
    assert response.status_code == 200 and response.content in (b"", b"{}")
    posted = world.wait_for("chat.postEphemeral", 1)[0].params
    assert posted["channel"] == "C0SALES" and posted["user"] == "UANA"
    assert "Logged a meeting on Acme EU" in posted["text"]
    with world.uow() as uow:
        deal = uow.deals.get(int(deal_id))
        assert deal is not None and deal.stage == "Negotiation"
        assert deal.next_action is not None and deal.next_action.owner_id == world.seeded.ben


def _opened_log_form_metadata(world: SlackWorld, calls: int) -> str:
    world.command("UANA", "/log")
    opened = world.wait_for("views.open", calls)[-1].params
    view = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
    return str(view["private_metadata"])


def test_a_form_submitted_twice_logs_once_and_says_so(world: SlackWorld) -> None:
    metadata = _opened_log_form_metadata(world, 1)
    deal_id = str(world.seeded.deals["Acme EU"])
    values = {
        "deal": {"type": "external_select", "selected_option": {"value": deal_id}},
        "kind": _option("call"),
        "notes": {"type": "plain_text_input", "value": "Left a voicemail"},
    }
    for _ in range(2):
        assert world.interact(_submission(values, metadata)).status_code == 200
    first, second = (call.params for call in world.wait_for("chat.postEphemeral", 2))
    assert "Logged a call on Acme EU" in first["text"]
    assert "Already logged on Acme EU" in second["text"] and second["channel"] == "C0SALES"
    assert _activities(world) == [(int(deal_id), "call", "Left a voicemail", "slack")]

    # The same note from a second form is a second call, logged on purpose.
    world.interact(_submission(values, _opened_log_form_metadata(world, 2)))
    assert "Logged a call" in world.wait_for("chat.postEphemeral", 3)[2].params["text"]
    assert len(_activities(world)) == 2


def test_the_deal_typeahead_offers_only_deals_the_rep_may_log_on(world: SlackWorld) -> None:
    payload = {
        "type": "block_suggestion", "user": {"id": "UANA", "team_id": "T0FAKE"}, "api_app_id": "A0APP",
        "team": {"id": "T0FAKE"}, "action_id": "deal", "block_id": "deal", "value": "ac",
        "view": {"id": "V1", "type": "modal", "callback_id": "dealbot.log_form"},
    }  # fmt: skip
    response = world.interact(payload)
    assert response.status_code == 200
    labels = [o["text"]["text"] for o in response.json()["options"]]
    assert labels == ["Acme EU (Acme)", "Acme US (Acme)"]
