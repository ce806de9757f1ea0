"""The words after `deals` or `log`, typed in any chat, as a command.

Slack passes them after a slash command (`/deals team`), Teams in a message (`deals team`); both
translators hand the text here, so the same words become the same command everywhere.
"""

from __future__ import annotations

from core.commands import MAX_QUERY, ListView, LogLine, OpenLogForm, ShowActions

HELP_WORDS = frozenset({"help", "?"})


class CommandTextError(ValueError):
    """The text after a command cannot be used; the message says what to type."""


def wants_help(text: str) -> bool:
    return text.strip().lower() in HELP_WORDS


def deals_command(actor_id: int, text: str) -> ShowActions:
    """`deals`, `deals <filter>` or `deals team [<filter>]` (spaces collapsed)."""
    text = " ".join(text.split())
    team = text.lower() == "team" or text.lower().startswith("team ")
    query = text[4:].strip() if team else text
    if len(query) > MAX_QUERY:
        raise CommandTextError(
            f"That filter is {len(query)} characters; use part of a deal or account name "
            f"(up to {MAX_QUERY})."
        )
    return ShowActions(actor_id, ListView(query=query, team=team))


def log_command(actor_id: int, text: str) -> LogLine | OpenLogForm:
    """`log` alone opens the form; `log <deal> <note>` records the line."""
    text = text.strip()
    return OpenLogForm(actor_id) if not text else LogLine(actor_id, text)
