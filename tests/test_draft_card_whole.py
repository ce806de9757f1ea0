"""Approve sends the text on the card, so both surfaces show all of it, or offer no Approve."""

from __future__ import annotations

import html
from datetime import UTC, datetime

from slack_sdk.models.blocks import Block

from bot.slack.render import render_message
from bot.teams.render import render_card
from core.draft_messages import review_card
from core.drafts import Draft, DraftStatus

TAIL = "P.S. wire the deposit to IBAN DE89 3704 0044 0532 0130 00 today."


def _draft(body: str) -> Draft:
    return Draft(
        1, 2, 2, datetime(2026, 11, 23, tzinfo=UTC), id=9, status=DraftStatus.READY,
        subject="Next steps", body=body, model="openai/gpt-x", to_email="sarah@acme.com",
    )  # fmt: skip


def _slack_text(body: str) -> tuple[str, list[str]]:
    """(the card's section texts joined as a reader sees them, the labels of its buttons)."""
    _, blocks = render_message(review_card(_draft(body), "Acme EU"))
    texts, labels = [], []
    for block in blocks:
        Block.parse(block)  # slack_sdk accepts each block as built
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000
            texts.append(html.unescape(block["text"]["text"]))
        labels += [e["text"]["text"] for e in block.get("elements", []) if e["type"] == "button"]
    return "".join(texts), labels


def _teams_text(body: str) -> tuple[str, list[str]]:
    card = render_card(review_card(_draft(body), "Acme EU"))
    runs: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextRun":
                runs.append(str(node["text"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card["body"])
    labels = [a["title"] for a in _actions(card)]
    return "\n".join(runs), labels


def _actions(node: object) -> list[dict[str, object]]:
    if isinstance(node, dict):
        found = [node] if node.get("type") == "Action.Submit" else []
        return found + [a for v in node.values() for a in _actions(v)]
    if isinstance(node, list):
        return [a for v in node for a in _actions(v)]
    return []


def test_a_long_body_is_shown_whole_down_to_its_last_line() -> None:
    body = ("We are glad to move ahead with the rollout. " * 60)[: 2573 - len(TAIL) - 2]
    body = f"{body}\n\n{TAIL}"
    assert len(body) == 2573
    slack, slack_buttons = _slack_text(body)
    assert TAIL in slack and "".join(body.split()) in "".join(slack.split())
    assert "Approve" in slack_buttons
    teams, teams_buttons = _teams_text(body)
    assert TAIL in teams and "".join(body.split()) in "".join(teams.split())
    assert "Approve" in teams_buttons


def test_a_body_of_ampersands_survives_slacks_escaping_whole() -> None:
    body = "Terms & conditions & " * 238 + TAIL
    slack, buttons = _slack_text(body)
    assert "".join(body.split()) in "".join(slack.split()) and "Approve" in buttons
    slack, buttons = _slack_text("&" * 5000)
    assert slack.count("&") == 5000 and "Approve" in buttons


def test_a_body_no_card_can_hold_whole_has_no_approve_button() -> None:
    body = "\n".join(f"Line {n}" for n in range(700)) + "\n" + TAIL
    for text, buttons in (_slack_text(body), _teams_text(body)):
        assert "Approve" not in buttons and "Edit" in buttons
        assert "Press Edit to read all of it" in text
