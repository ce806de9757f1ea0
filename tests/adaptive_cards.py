"""Adaptive Card 1.5 checks for tests: the published schema, Teams' `msteams` allowed, nothing else.

The schema (`../shared/fixtures/schemas/adaptive-card.1.5.0.json`) already refuses unknown
properties on every element (`additionalProperties: false`), the card itself included; Teams adds
one of its own at the card's top, `msteams`, which is allowed here with the one setting the bot
uses (`width: Full`) and nothing else.

One hole is closed: the enum-like definitions (`FallbackOption`, `ActionStyle`, `Spacing`, ...)
are "this enum, or a string matching this pattern", and a `pattern` says nothing about values that
are not strings, so `fallback: {...any object...}` or `style: 5` passed. Those definitions are
made string-only, which puts an object fallback back under its action's own definition.

Also: helpers to find a card's buttons as a person sees them.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "schemas"
MSTEAMS = {
    "type": "object",
    "properties": {"width": {"enum": ["Full"]}},
    "additionalProperties": False,
}


@cache
def card_validator() -> jsonschema.Draft6Validator:
    schema = json.loads((SCHEMA / "adaptive-card.1.5.0.json").read_text(encoding="utf-8"))
    schema = copy.deepcopy(schema)
    schema["definitions"]["AdaptiveCard"]["properties"]["msteams"] = MSTEAMS
    for definition in schema["definitions"].values():
        choices = definition.get("anyOf") if isinstance(definition, dict) else None
        if choices and any("pattern" in choice for choice in choices):
            definition["type"] = "string"
    jsonschema.Draft6Validator.check_schema(schema)
    return jsonschema.Draft6Validator(schema)


def card_errors(card: dict[str, Any]) -> list[str]:
    errors = sorted(card_validator().iter_errors(card), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in errors]


def assert_valid_card(card: dict[str, Any]) -> None:
    errors = card_errors(card)
    assert not errors, "not a valid Adaptive Card 1.5:\n" + "\n".join(errors)
    assert card["version"] == "1.5"


def walk_actions(card: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every action on the card, those inside show-cards included, in reading order."""
    for element in card.get("body", []):
        yield from _element_actions(element)
    for action in card.get("actions", []):
        yield action
        if action.get("type") == "Action.ShowCard":
            yield from walk_actions(action["card"])


def _element_actions(element: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if element.get("type") == "ActionSet":
        for action in element["actions"]:
            yield action
            if action.get("type") == "Action.ShowCard":
                yield from walk_actions(action["card"])
    for child in element.get("items", []):
        yield from _element_actions(child)
    for column in element.get("columns", []):
        for child in column.get("items", []):
            yield from _element_actions(child)


def presses(card: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every press a person can make, as (the Action.Execute, the data Teams sends for it): a
    button once, a choice list's apply button once for each choice, with that choice filled in."""
    lists = {e["id"]: e for e in all_elements(card) if e["type"] == "Input.ChoiceSet"}
    found = []
    for action in walk_actions(card):
        if action["type"] != "Action.Execute":
            continue
        data = action["data"]
        if "choice" not in data:
            found.append((action, dict(data)))
            continue
        for choice in lists[data["choice"]]["choices"]:
            found.append((action, {**data, data["choice"]: choice["value"]}))
    return found


def all_elements(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every element of the card, those in containers, columns and show-cards included."""
    found: list[dict[str, Any]] = []

    def visit(elements: list[dict[str, Any]]) -> None:
        for element in elements:
            found.append(element)
            visit(element.get("items", []))
            for column in element.get("columns", []):
                visit(column.get("items", []))
            for action in element.get("actions", []):
                if action.get("type") == "Action.ShowCard":
                    visit(action["card"]["body"])

    visit(card.get("body", []))
    for action in card.get("actions", []):
        if action.get("type") == "Action.ShowCard":
            visit(action["card"]["body"])
    return found


def item_press(
    card: dict[str, Any], heading: str, action_id: str, choice: str | None = None
) -> dict[str, Any]:
    """The data Teams sends for the button `action_id` (or the choice titled `choice` of that
    select) of the item whose heading has `heading` in it."""
    for element in card["body"]:
        if element.get("type") != "Container" or heading not in card_text(element["items"][0]):
            continue
        for action, data in presses({"body": [element]}):
            if action["verb"] != action_id:
                continue
            if choice is None or _chosen_title(element, data) == choice:
                return data
    raise AssertionError(f"no {action_id} {choice or ''} on {heading!r}")


def _chosen_title(container: dict[str, Any], data: dict[str, Any]) -> str | None:
    for element in all_elements({"body": [container]}):
        if element.get("id") == data.get("choice"):
            wanted = data[data["choice"]]
            return str(next(c["title"] for c in element["choices"] if c["value"] == wanted))
    return None


def card_text(value: Any) -> str:
    """Every piece of text on a card (or part of one), flattened."""
    return json.dumps(value, ensure_ascii=False)
