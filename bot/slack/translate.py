"""Slack payload -> command, as pure functions (no I/O): what the contract tests exercise.

The Slack user has already been resolved to a rep id (`actor_id`) by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.chat_commands import CommandTextError, deals_command, log_command, wants_help
from core.commands import MAX_QUERY, Command, FindDeals, parse_control

__all__ = ["CommandTextError", "DEALS_HELP", "block_action", "slash_command", "view_values"]

DEALS_HELP = (
    "/deals: your ranked list. /deals <text>: only deals or accounts whose name contains it, "
    "or a stage (e.g. /deals proposal). /deals team: your team's list (managers)."
)


def slash_command(actor_id: int, command: str, text: str) -> Command | None:
    """`/deals ...` or `/log ...` as a command; None for `help` (the caller shows usage)."""
    if wants_help(text):
        return None
    if command == "/deals":
        return deals_command(actor_id, text)
    if command == "/log":
        return log_command(actor_id, text)
    raise CommandTextError(f"dealbot doesn't know {command}; try /deals or /log.")


def block_action(actor_id: int, action: Mapping[str, Any]) -> Command | None:
    """One element of `actions` in a block_actions payload (a button or a select)."""
    action_id = str(action.get("action_id", ""))
    if action.get("type") == "static_select":
        selected = action.get("selected_option") or {}
        value = str(selected.get("value", ""))
    else:
        value = str(action.get("value", ""))
    return parse_control(actor_id, action_id, value)


def deal_suggestion(actor_id: int, body: Mapping[str, Any]) -> FindDeals:
    """The deal typeahead in the /log form (a block_suggestion payload)."""
    return FindDeals(actor_id, str(body.get("value", ""))[:MAX_QUERY])


def view_values(view: Mapping[str, Any]) -> dict[str, str | None]:
    """A submitted modal's inputs by field name (block ids are the form's field names)."""
    values: dict[str, str | None] = {}
    state = (view.get("state") or {}).get("values") or {}
    for block_id, elements in state.items():
        for element in elements.values():
            values[block_id] = _element_value(element)
    return values


def _element_value(element: Mapping[str, Any]) -> str | None:
    kind = element.get("type")
    if kind in ("static_select", "external_select"):
        option = element.get("selected_option")
        return str(option["value"]) if option else None
    if kind == "users_select":
        return element.get("selected_user")
    if kind == "datepicker":
        return element.get("selected_date")
    value = element.get("value")
    return str(value) if value is not None else None
