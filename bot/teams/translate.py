"""Teams activity parts -> command, as pure functions (no I/O): what the contract tests exercise.

The Teams user has already been resolved to a rep id (`actor_id`) by the caller. A message is
typed text (`deals acme`, in a channel after an @mention of the bot); a press is either an
`adaptiveCard/action` invoke (Action.Execute: the verb and the data) or, from clients without
Universal Actions, a message whose `value` is the Action.Submit data. Both carry the same
`action_id` and `value` as the Slack button they mirror, and go through the same `parse_control`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

from bot.teams.forms import FORM_KEY
from core.chat_commands import CommandTextError, deals_command, log_command, wants_help
from core.commands import Command, parse_control

__all__ = ["TEAMS_HELP", "CommandTextError", "card_data", "command_text", "press", "text_command"]

TEAMS_HELP = (
    "deals: your ranked list. deals <text>: only deals or accounts whose name contains it, or a "
    "stage (e.g. deals proposal). deals team: your team's list (managers). "
    "log <deal or account> <note>: record a call in one line (log acme called Sarah next: send "
    "pricing by fri). log: a form. In a channel, mention me first (@dealbot deals); the answer "
    "comes to you in our private chat."
)
_MENTION = re.compile(r"<at[^>]*>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?(?:p|div|span|br)\b[^>]*>", re.IGNORECASE)


def command_text(text: str | None, bot_mentions: Iterable[str] = ()) -> str:
    """What the person typed, without the @mention of the bot (other mentions keep their name)."""
    text = text or ""
    for mention in bot_mentions:
        text = text.replace(mention, " ")
    text = _MENTION.sub(lambda m: m.group(1), text)
    text = _TAG.sub(" ", text)
    return html.unescape(text).replace("\xa0", " ").strip()


def text_command(actor_id: int, text: str) -> Command | None:
    """`deals ...`, `log ...` (a leading slash is forgiven); None for `help` or nothing at all."""
    word, _, rest = text.strip().partition(" ")
    word = word.lower().lstrip("/")
    if word in ("", "help", "?", "hi", "hello") or wants_help(rest):
        return None
    if word == "deals":
        return deals_command(actor_id, rest)
    if word == "log":
        return log_command(actor_id, rest)
    raise CommandTextError(f"dealbot doesn't know '{cut_word(word)}'. {TEAMS_HELP}")


def cut_word(word: str) -> str:
    return word if len(word) <= 30 else word[:29] + "…"


def card_data(activity_type: str, name: str | None, value: Any) -> dict[str, Any] | None:
    """The data a card press sent: an Action.Execute's `data` (with its `verb` as `action_id` when
    the data lacks one), or an Action.Submit's `value`. None for anything that is not a press."""
    if not isinstance(value, Mapping):
        return None
    if activity_type == "invoke":
        if name != "adaptiveCard/action":
            return None
        action = value.get("action")
        if not isinstance(action, Mapping):
            return None
        data = action.get("data")
        found = dict(data) if isinstance(data, Mapping) else {}
        if action.get("verb") and FORM_KEY not in found:
            found.setdefault("action_id", action.get("verb"))
        return found
    return dict(value) if activity_type == "message" else None


def press(actor_id: int, data: Mapping[str, Any]) -> Command | None:
    """A pressed button or chosen option, from its data; None when it is not ours or is mangled.

    A choice list sends the shared start and end of its options' values and, under the list's
    id, the part that was chosen (see `render._choices`)."""
    value = data.get("value", "")
    choice = data.get("choice")
    if choice is not None:
        chosen = data.get(str(choice))
        if not isinstance(chosen, str):
            return None
        value = f"{data.get('prefix', '')}{chosen}{data.get('suffix', '')}"
    return parse_control(actor_id, str(data.get("action_id", "")), str(value))


def form_values(data: Mapping[str, Any], names: Iterable[str]) -> dict[str, str | None]:
    """A submitted form's inputs by field name; an empty input is None."""
    values: dict[str, str | None] = {}
    for name in names:
        raw = data.get(name)
        values[name] = str(raw) if raw not in (None, "") else None
    return values
