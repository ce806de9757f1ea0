"""/deals and the list buttons, end to end: signed requests in, database and fake Slack out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from core.model import ActionStatus, DealStatus
from tests.slack_world import SlackWorld, action_status, all_text, slack_world


@pytest.fixture
def world(database_url: str) -> Iterator[SlackWorld]:
    with slack_world(database_url) as w:
        yield w


def _elements(params: dict) -> list[dict]:
    return [e for b in params.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


def _control(params: dict, action_id: str, title: str | None = None) -> dict:
    """The control of one item (the item whose section mentions `title`), as Slack would send it."""
    blocks = params["blocks"]
    for index, block in enumerate(blocks):
        if block["type"] != "section" or (
            title and title not in block.get("text", {}).get("text", "")
        ):
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else {}
        for element in following.get("elements", []):
            if element["action_id"] == action_id:
                return element
    raise AssertionError(f"no {action_id} control for {title!r}")


def _choose(select: dict, label: str) -> dict:
    option = next(o for o in select["options"] if o["text"]["text"] == label)
    return {"type": "static_select", "action_id": select["action_id"], "selected_option": option}


def _status(world: SlackWorld, title_part: str) -> tuple[str, datetime | None]:
    return action_status(world.services.engine, title_part)


def test_deals_answers_privately_with_the_ranked_list_and_its_buttons(world: SlackWorld) -> None:
    response = world.command("UANA", "/deals")
    assert response.status_code == 200
    answer = world.last_response(1)
    assert answer["response_type"] == "ephemeral"
    shown = all_text(answer)
    for name in ("Acme EU", "Acme US", "Globex renewal"):
        assert name in shown
    assert "Initech pilot" not in shown  # Ben's deal
    assert "next step 3 days overdue" in shown
    ids = {e["action_id"] for e in _elements(answer)}
    assert {"dealbot.done", "dealbot.snooze", "dealbot.log", "dealbot.advance"} <= ids
    assert "dealbot.draft" in ids  # Draft follow-up on every deal
    with world.uow() as uow:
        assert len(uow.actions.hidden_by_rep(at=world.clock.now())) == 0
    with world.services.engine.connect() as conn:
        assert conn.execute(text("select count(*) from action")).scalar() == 3


def test_the_rep_is_matched_by_email_once_and_remembered(world: SlackWorld) -> None:
    world.command("UBEN", "/deals")
    world.responses(1)
    world.command("UBEN", "/deals")
    world.responses(2)
    assert len(world.fake.calls_for("users.info")) == 1
    with world.uow() as uow:
        assert uow.reps.by_chat_id("slack", "UBEN").email == "ben@example.com"  # type: ignore[union-attr]


def test_someone_who_is_not_a_rep_gets_an_explanation(world: SlackWorld) -> None:
    world.command("USTRANGER", "/deals")
    assert "not set up in dealbot" in world.last_response(1)["text"]


def test_deals_filters_by_account_stage_and_says_when_nothing_matches(world: SlackWorld) -> None:
    world.command("UANA", "/deals globex")
    shown = all_text(world.last_response(1))
    assert "Globex renewal" in shown and "Acme EU" not in shown
    world.command("UANA", "/deals demo")
    shown = all_text(world.last_response(2))
    assert "Acme US" in shown and "Acme EU" not in shown
    world.command("UANA", "/deals zebra")
    assert "Nothing in your list matches 'zebra'" in all_text(world.last_response(3))
    world.command("UANA", "/deals " + "x" * 300)
    assert "up to 100" in world.last_response(4)["text"]


def test_team_view_is_for_managers_and_names_each_owner(world: SlackWorld) -> None:
    world.command("UANA", "/deals team")
    assert "team view is for managers" in world.last_response(1)["text"]
    world.command("UMIA", "/deals team")
    shown = all_text(world.last_response(2))
    assert "Initech pilot" in shown and "Ben Okafor" in shown and "Ana Lopez" in shown


def test_more_pages_on(database_url: str) -> None:
    with slack_world(database_url, action_list_size=2) as world:
        world.command("UANA", "/deals")
        first = world.last_response(1)
        more = next(e for e in _elements(first) if e["action_id"] == "dealbot.more")
        world.press(
            "UANA", {"type": "button", "action_id": more["action_id"], "value": more["value"]}
        )
        second = world.last_response(2)
        assert second["replace_original"] is True
        assert "Showing 3-3" in all_text(second)
        assert not any(e["action_id"] == "dealbot.more" for e in _elements(second))


def test_done_updates_the_message_and_a_second_press_changes_nothing(world: SlackWorld) -> None:
    world.command("UANA", "/deals")
    done = _control(world.last_response(1), "dealbot.done", "Globex renewal")
    press = {"type": "button", "action_id": done["action_id"], "value": done["value"]}
    assert world.press("UANA", press).status_code == 200
    updated = world.last_response(2)
    assert updated["replace_original"] is True
    assert "Done: Send contract: Globex renewal" in all_text(updated)
    assert _status(world, "Globex")[0] == ActionStatus.DONE.value
    with world.uow() as uow:
        deal = uow.deals.get(world.seeded.deals["Globex renewal"])
        assert deal is not None and deal.next_action is None  # the overdue step is done
        entry = uow.audit.latest(f"action:{done['value'].split('|')[0]}")
        assert entry is not None and entry.actor.startswith(f"rep:{world.seeded.ana}")
    world.press("UANA", press)  # another device, a second later
    again = world.last_response(3)
    assert again.get("replace_original") is False
    assert "Already marked done" in again["text"]
    with world.services.engine.connect() as conn:
        assert conn.execute(text("select count(*) from activity")).scalar() == 1


def test_snooze_until_tomorrow_morning_in_the_reps_time_zone(world: SlackWorld) -> None:
    world.command("UANA", "/deals")
    select = _control(world.last_response(1), "dealbot.snooze", "Acme EU")
    world.press("UANA", _choose(select, "Tomorrow 08:00"))
    assert "Snoozed" in all_text(world.last_response(2))
    status, until = _status(world, "Acme EU")
    assert status == ActionStatus.SNOOZED.value
    assert until is not None
    local = until.astimezone(ZoneInfo("Europe/Berlin"))
    assert (local.date().isoformat(), local.hour) == ("2026-11-24", 8)
    world.command("UANA", "/deals")
    assert "Acme EU" not in all_text(world.last_response(3))


def test_advance_moves_the_deal_and_records_the_change(world: SlackWorld) -> None:
    world.command("UANA", "/deals")
    select = _control(world.last_response(1), "dealbot.advance", "Acme US")
    labels = [o["text"]["text"] for o in select["options"]]
    assert labels == ["Proposal", "Negotiation", "Won", "Lost"]
    world.press("UANA", _choose(select, "Won"))
    assert "Moved Acme US from Demo to Won" in all_text(world.last_response(2))
    with world.uow() as uow:
        deal = uow.deals.get(world.seeded.deals["Acme US"])
        assert deal is not None and deal.status is DealStatus.WON and deal.closed_at is not None
        changes = uow.deals.stage_changes([deal.id or 0])
        assert [(c.from_stage, c.to_stage) for c in changes] == [("Demo", "Won")]
        entry = uow.audit.latest(f"deal:{deal.id}")
        assert (
            entry is not None and entry.before["stage"] == "Demo" and entry.after["stage"] == "Won"
        )


def test_a_rep_cannot_press_someone_elses_item_but_their_manager_can(world: SlackWorld) -> None:
    world.command("UANA", "/deals")
    done = _control(world.last_response(1), "dealbot.done", "Acme EU")
    press = {"type": "button", "action_id": done["action_id"], "value": done["value"]}
    world.press("UBEN", press)
    assert "someone else's list" in world.last_response(2)["text"]
    assert _status(world, "Acme EU")[0] == ActionStatus.SHOWN.value
    world.press("UMIA", press)
    world.responses(3)
    assert _status(world, "Acme EU")[0] == ActionStatus.DONE.value


def test_a_mangled_button_value_is_refused_politely(world: SlackWorld) -> None:
    world.press("UANA", {"type": "button", "action_id": "dealbot.done", "value": "not-a-uuid||1::"})
    assert "out of date" in world.last_response(1)["text"]


def test_home_tab_shows_the_list_and_event_retries_run_once(world: SlackWorld) -> None:
    event = {"type": "app_home_opened", "user": "UANA", "channel": "D1", "tab": "home"}
    assert world.event(event, "Ev1").status_code == 200
    assert world.event(event, "Ev1", retry=1).status_code == 200
    published = world.wait_for("views.publish", 1)
    assert published[0].params["user_id"] == "UANA"
    view = published[0].params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["type"] == "home" and "Globex renewal" in all_text(view)
    world.event(event, "Ev2")
    assert len(world.wait_for("views.publish", 2)) == 2


def test_a_press_in_the_home_tab_republishes_it(world: SlackWorld) -> None:
    world.event({"type": "app_home_opened", "user": "UANA", "tab": "home"}, "Ev9")
    view = world.wait_for("views.publish", 1)[0].params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    done = _control(view, "dealbot.done", "Acme EU")
    world.press(
        "UANA",
        {"type": "button", "action_id": "dealbot.done", "value": done["value"]},
        in_home=True,
    )
    second = world.wait_for("views.publish", 2)[-1].params["view"]
    assert "Acme EU" not in all_text(second)


def test_handlers_in_worker_processes_answer_the_same(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/dealbot.db"
    with slack_world(url, handler_processes=1) as world:
        world.command("UANA", "/deals globex")
        answer = world.last_response(1)
        assert "Globex renewal" in all_text(answer) and "Acme EU" not in all_text(answer)
        world.command("UBEN", "/deals team")
        assert "team view is for managers" in world.last_response(2)["text"]
