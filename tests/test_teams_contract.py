"""Contract: the Slack form and the Teams form of each command and each press are equal commands.

Typed commands: the Slack slash command and the Teams message (in a chat, or in a channel after
an @mention) give the same command. Presses: each message is rendered by both renderers, every
control on it is pressed the way each platform sends it back (a Slack `block_actions` element; a
Teams `adaptiveCard/action` invoke and the Action.Submit fallback's message value), and the three
lists of commands must be the same, with none of them refused.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.slack import translate as slack
from bot.slack.render import render_message
from bot.teams import translate as teams
from bot.teams.render import render_card
from core.commands import (
    ListView,
    LogLine,
    OpenLogForm,
    ShowActions,
)
from tests.adaptive_cards import presses
from tests.test_teams_cards import MESSAGES

ACTOR = 7
MENTION = "<at>dealbot</at>"


@pytest.mark.parametrize(
    ("slash", "text"),
    [
        ("/deals", ""),
        ("/deals", "acme"),
        ("/deals", "  Globex   renewal "),
        ("/deals", "team"),
        ("/deals", "team acme"),
        ("/deals", "proposal"),
        ("/deals", "help"),
        ("/log", ""),
        ("/log", "acme called Sarah, wants pricing next: send pricing by fri"),
        ("/log", '"Acme EU" left a voicemail'),
        ("/log", "help"),
    ],
)
def test_a_typed_command_is_the_same_command_on_slack_and_teams(slash: str, text: str) -> None:
    from_slack = slack.slash_command(ACTOR, slash, text)
    typed = f"{slash.lstrip('/')} {text}"
    in_chat = teams.text_command(ACTOR, teams.command_text(typed))
    in_channel = teams.text_command(ACTOR, teams.command_text(f"{MENTION} {typed}\n", [MENTION]))
    with_slash = teams.text_command(ACTOR, teams.command_text(f"{slash} {text}"))
    assert from_slack == in_chat == in_channel == with_slash


def test_what_the_commands_mean() -> None:
    assert teams.text_command(ACTOR, "deals team acme") == ShowActions(
        ACTOR, ListView(query="acme", team=True)
    )
    assert teams.text_command(ACTOR, "log") == OpenLogForm(ACTOR)
    assert teams.text_command(ACTOR, "LOG acme called") == LogLine(ACTOR, "acme called")
    assert teams.text_command(ACTOR, "help") is None
    mentioned = teams.command_text(
        "<at>dealbot</at> log acme called <at>Sarah Li</at>&nbsp;&amp; Tom", [MENTION]
    )
    assert mentioned == "log acme called Sarah Li & Tom"


def test_a_filter_too_long_or_an_unknown_word_is_refused_alike() -> None:
    long = "x" * 300
    with pytest.raises(slack.CommandTextError) as on_slack:
        slack.slash_command(ACTOR, "/deals", long)
    with pytest.raises(teams.CommandTextError) as on_teams:
        teams.text_command(ACTOR, f"deals {long}")
    assert str(on_slack.value) == str(on_teams.value)
    with pytest.raises(teams.CommandTextError, match="doesn't know 'dance'"):
        teams.text_command(ACTOR, "dance")


def _slack_presses(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each control as Slack sends it back: a button, or a select with one option chosen."""
    found = []
    for block in blocks:
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element["type"] == "button":
                found.append({k: element[k] for k in ("type", "action_id", "value")})
            for option in element.get("options", []):
                found.append(
                    {"type": "static_select", "action_id": element["action_id"],
                     "selected_option": option}
                )  # fmt: skip
    return found


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_every_press_is_the_same_command_on_slack_and_teams(name: str) -> None:
    message = MESSAGES[name]
    _, blocks = render_message(message)
    from_slack = [slack.block_action(ACTOR, p) for p in _slack_presses(blocks)]
    card = render_card(message)
    executed = []
    submitted = []
    for button, sent in presses(card):
        invoke = {"action": {"type": "Action.Execute", "verb": button["verb"], "data": sent}}
        data = teams.card_data("invoke", "adaptiveCard/action", invoke | {"trigger": "manual"})
        assert data is not None
        executed.append(teams.press(ACTOR, data))
        with_inputs = {**button["fallback"]["data"], **sent}  # a Submit merges inputs alike
        fallback = teams.card_data("message", None, with_inputs)
        assert fallback is not None
        submitted.append(teams.press(ACTOR, fallback))
    assert from_slack == executed == submitted
    assert None not in from_slack, "a rendered control does not translate to a command"


def test_a_mangled_or_foreign_press_is_refused_on_both() -> None:
    for action_id, value in [("dealbot.done", "not-a-uuid||1::"), ("other.app", "1"), ("", "")]:
        assert slack.block_action(ACTOR, {"action_id": action_id, "value": value}) is None
        assert teams.press(ACTOR, {"action_id": action_id, "value": value}) is None
    assert teams.card_data("invoke", "task/fetch", {"data": {}}) is None
    assert teams.card_data("invoke", "adaptiveCard/action", {"action": "x"}) is None
    assert teams.card_data("message", None, "a string") is None
