"""Neutral message -> Adaptive Card 1.5 (the highest version Teams renders), as a plain dict.

Text from deals and customers goes into TextRuns, which Adaptive Cards never read as markdown, so
a deal named `*Acme*` or `[Acme](x)` shows as typed. Every button is an `Action.Execute` (Teams'
Universal Actions: an `adaptiveCard/action` invoke, answered with the refreshed card) whose `verb`
is the control's id, with `{"action_id", "value"}` in its data exactly as Slack's button carries
them, and an `Action.Submit` fallback with the same data for clients without Universal Actions.

A select (Snooze until, Advance to stage) becomes a button that shows a choice list and one
button to apply it. Its options' values differ only in the middle (`<action>|<stage>|<list>`), so
the list holds only the middles and the button's data the shared start and end (`prefix`,
`suffix`, and `choice`: the list's id); `translate.press` puts the value back together. Ten items
with a button per choice would not fit in a Teams message (about 28 KB); this way they do. A card
that would still be too big leaves out whole items and says how many.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from typing import Any

from core.messages import Button, Control, Field, Message, Section, Select, Style

CARD_VERSION = "1.5"
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_BUDGET = 24_000
"""Bytes of card JSON; Teams refuses a message over about 28 KB, and the activity adds some."""
ACTIONS_PER_ROW = 5
"""Teams shows at most six buttons side by side; more wrap badly on a phone."""
BUTTON_LIMIT = 60
HEADING_LIMIT = 300
TEXT_LIMIT = 3000
FIELDS_PER_SECTION = 10
ELLIPSIS = "…"
STYLES = {Style.PRIMARY: "positive", Style.DANGER: "destructive"}


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def render_card(message: Message, *, budget: int = CARD_BUDGET) -> dict[str, Any]:
    """The whole message as one card: title, items (as many as fit), footer, message buttons."""
    card = new_card(fallback=message.summary)
    if message.title:
        card["body"].append(text_block(message.title, size="Large", weight="Bolder"))
    tail = [text_block(message.footer, subtle=True, size="Small")] if message.footer else []
    if message.controls:
        card["actions"] = actions(message.controls)
    room = budget - _size(card) - _size(tail) - 200  # 200: the "and N more" line
    left_out = 0
    for section in message.sections:
        elements = section_elements(section)
        cost = _size(elements)
        if cost > room:
            left_out += 1
            continue
        card["body"].extend(elements)
        room -= cost
    if left_out:
        card["body"].append(text_block(f"…and {left_out} more not shown here.", subtle=True))
    card["body"].extend(tail)
    return card


def new_card(*, fallback: str) -> dict[str, Any]:
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "fallbackText": cut(fallback, TEXT_LIMIT),
        "msteams": {"width": "Full"},
        "body": [],
    }


def section_elements(section: Section) -> list[dict[str, Any]]:
    """One item in a container: heading in bold, its text, label/value fields, then buttons."""
    items: list[dict[str, Any]] = []
    if section.heading:
        items.append(text_block(cut(section.heading, HEADING_LIMIT), weight="Bolder"))
    if section.text:
        items.extend(text_lines(cut(section.text, TEXT_LIMIT)))
    items.extend(_field(field) for field in section.fields[:FIELDS_PER_SECTION])
    items.extend(action_rows(section.controls))
    if not items:
        return []
    container: dict[str, Any] = {"type": "Container", "items": items, "separator": True}
    if section.key:
        container["id"] = f"item-{section.key}"
    return [container]


def text_block(text: str, **style: Any) -> dict[str, Any]:
    """Plain text, shown exactly as given (a TextRun is never markdown)."""
    run: dict[str, Any] = {"type": "TextRun", "text": text}
    if style.pop("subtle", False):
        run["isSubtle"] = True
    run.update(style)
    return {"type": "RichTextBlock", "inlines": [run]}


def text_lines(text: str, **style: Any) -> list[dict[str, Any]]:
    """One block a line: a TextRun does not break lines by itself."""
    lines = [line for line in text.split("\n") if line.strip()]
    blocks = [text_block(line, **style) for line in lines]
    for block in blocks[1:]:
        block["spacing"] = "None"
    return blocks


def _field(field: Field) -> dict[str, Any]:
    label = {"type": "Column", "width": "auto", "items": [text_block(field.label, weight="Bolder")]}
    value = {"type": "Column", "width": "stretch", "items": text_lines(field.value) or []}
    return {"type": "ColumnSet", "columns": [label, value], "spacing": "Small"}


def action_rows(controls: Sequence[Control]) -> list[dict[str, Any]]:
    """The controls as rows of buttons (ActionSets of at most five)."""
    return _rows(actions(controls))


def _rows(built: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"type": "ActionSet", "actions": built[start : start + ACTIONS_PER_ROW]}
        for start in range(0, len(built), ACTIONS_PER_ROW)
    ]


def actions(controls: Sequence[Control]) -> list[dict[str, Any]]:
    return [_button(c) if isinstance(c, Button) else _choices(c) for c in controls]


def execute(
    title: str, data: dict[str, Any], *, verb: str, style: Style = Style.DEFAULT
) -> dict[str, Any]:
    """An `Action.Execute` with an `Action.Submit` fallback carrying the same data."""
    submit: dict[str, Any] = {"type": "Action.Submit", "title": cut(title, BUTTON_LIMIT)}
    submit["data"] = data
    action: dict[str, Any] = {
        "type": "Action.Execute",
        "title": submit["title"],
        "verb": verb,
        "data": data,
        "fallback": submit,
    }
    if style in STYLES:
        action["style"] = submit["style"] = STYLES[style]
    return action


def control_data(action_id: str, value: str) -> dict[str, str]:
    """What a press sends back: the same two strings a Slack button carries."""
    return {"action_id": action_id, "value": value}


def _button(button: Button) -> dict[str, Any]:
    data = control_data(button.action_id, button.value)
    return execute(button.label, data, verb=button.action_id, style=button.style)


def _choices(select: Select) -> dict[str, Any]:
    """A select as a button that opens its choice list and the button that applies it."""
    options = select.options[:100]
    values = [o.value for o in options]
    prefix = os.path.commonprefix(values)
    rests = [value[len(prefix) :] for value in values]
    suffix = os.path.commonprefix([rest[::-1] for rest in rests])[::-1]
    middles = [rest[: len(rest) - len(suffix)] for rest in rests]
    digest = hashlib.sha1((select.action_id + prefix + suffix).encode()).hexdigest()
    choice_id = f"c{digest[:10]}"
    choice_list = {
        "type": "Input.ChoiceSet",
        "id": choice_id,
        "style": "expanded",
        "choices": [
            {"title": cut(o.label, 200), "value": m} for o, m in zip(options, middles, strict=True)
        ],
    }
    if middles:
        choice_list["value"] = middles[0]
    data = {"action_id": select.action_id, "prefix": prefix, "suffix": suffix, "choice": choice_id}
    apply = execute(select.placeholder, data, verb=select.action_id)
    return {
        "type": "Action.ShowCard",
        "title": cut(select.placeholder, BUTTON_LIMIT) + " ▾",
        "card": {"type": "AdaptiveCard", "body": [choice_list], "actions": [apply]},
    }


def _size(value: Any) -> int:
    return len(json.dumps(value).encode("utf-8"))  # as sent: non-ASCII escaped
