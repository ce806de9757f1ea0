"""Commands: what a person asked for, the same from every surface.

A Slack slash command or button, a Teams message or card submit and an emulator click all become
one of these, through a pure translator per platform. `actor_id` is the rep who asked, already
resolved from the platform's user id. Controls carry their command in an `action_id` and a short
`value` (see `core.messages`); `parse_control` turns the pair back into a command.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from core.draft_commands import CONTROLS as DRAFT_CONTROLS
from core.draft_commands import DraftCommand, draft_command
from core.ids import parse_id
from core.model import ActivityKind


class SnoozeFor(StrEnum):
    HOUR = "1h"
    TOMORROW = "tomorrow"
    NEXT_WEEK = "next_week"


SNOOZE_LABELS = {
    SnoozeFor.HOUR: "1 hour",
    SnoozeFor.TOMORROW: "Tomorrow 08:00",
    SnoozeFor.NEXT_WEEK: "Next week",
}


@dataclass(frozen=True, slots=True)
class ListView:
    """Which list a message shows, so a press can redraw the same list in its new state."""

    query: str = ""
    page: int = 1
    team: bool = False
    digest: bool = False

    def encode(self) -> str:
        flags = ("t" if self.team else "") + ("d" if self.digest else "")
        return f"{self.page}:{flags}:{self.query[:MAX_QUERY]}"

    @classmethod
    def decode(cls, text: str) -> ListView:
        page, flags, query = (text.split(":", 2) + ["", ""])[:3]
        return cls(
            query=query,
            page=parse_id(page) or 1,
            team="t" in flags,
            digest="d" in flags,
        )


MAX_QUERY = 100


@dataclass(frozen=True, slots=True)
class ShowActions:
    actor_id: int
    view: ListView = ListView()


@dataclass(frozen=True, slots=True)
class LogLine:
    """`/log <deal or account> <note>`: one line, matched against the actor's deals."""

    actor_id: int
    text: str
    deal_id: int | None = None
    """Set when the rep picked the deal from a list after an ambiguous first try."""
    once: str = ""
    """The pressed pick-list button's own token: a second press of it logs nothing."""


@dataclass(frozen=True, slots=True)
class LogActivity:
    """A call (or email, meeting, note) recorded on a deal, from the form or a pick list."""

    actor_id: int
    deal_id: int
    kind: ActivityKind = ActivityKind.CALL
    notes: str = ""
    outcome: str | None = None
    next_text: str | None = None
    next_due: date | None = None
    next_owner_id: int | None = None
    to_stage: str | None = None
    once: str = ""
    """The submitted form's own token: a second submit of the same form logs nothing."""


@dataclass(frozen=True, slots=True)
class OpenLogForm:
    actor_id: int
    deal_id: int | None = None


@dataclass(frozen=True, slots=True)
class FindDeals:
    """The form's deal typeahead: the actor's deals whose name or account contains `text`."""

    actor_id: int
    text: str


@dataclass(frozen=True, slots=True)
class MarkDone:
    actor_id: int
    action_id: uuid.UUID
    view: ListView = ListView()


@dataclass(frozen=True, slots=True)
class Snooze:
    actor_id: int
    action_id: uuid.UUID
    until: SnoozeFor
    view: ListView = ListView()


@dataclass(frozen=True, slots=True)
class AdvanceStage:
    actor_id: int
    action_id: uuid.UUID
    to_stage: str
    view: ListView = ListView()


@dataclass(frozen=True, slots=True)
class UndoLog:
    actor_id: int
    activity_id: int


@dataclass(frozen=True, slots=True)
class AcceptLead:
    """The owner takes the lead (anyone may take a queued one); it does not stop the clock."""

    actor_id: int
    lead_id: int


@dataclass(frozen=True, slots=True)
class ReassignLead:
    actor_id: int
    lead_id: int
    to_rep_id: int


@dataclass(frozen=True, slots=True)
class LogFirstTouch:
    """A call, email or meeting with the lead: stops its response clock."""

    actor_id: int
    lead_id: int
    kind: ActivityKind = ActivityKind.CALL


FIRST_TOUCH_KINDS = (ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.MEETING)


Command = (
    ShowActions
    | LogLine
    | LogActivity
    | OpenLogForm
    | FindDeals
    | MarkDone
    | Snooze
    | AdvanceStage
    | UndoLog
    | AcceptLead
    | ReassignLead
    | LogFirstTouch
    | DraftCommand
)


class ControlId(StrEnum):
    """The `action_id` of every control the bot renders."""

    DONE = "dealbot.done"
    SNOOZE = "dealbot.snooze"
    ADVANCE = "dealbot.advance"
    LOG = "dealbot.log"
    LOG_PICK = "dealbot.log_pick"
    MORE = "dealbot.more"
    UNDO = "dealbot.undo"
    LEAD_ACCEPT = "dealbot.lead_accept"
    LEAD_REASSIGN = "dealbot.lead_reassign"
    LEAD_TOUCH = "dealbot.lead_touch"
    DRAFT = "dealbot.draft"
    DRAFT_APPROVE = "dealbot.draft_approve"
    DRAFT_EDIT = "dealbot.draft_edit"
    DRAFT_REGENERATE = "dealbot.draft_regenerate"
    DRAFT_REJECT = "dealbot.draft_reject"


def control_value(action_id: uuid.UUID, view: ListView, extra: str = "") -> str:
    """`<action uuid>|<extra>|<view>`: everything a press needs, under Slack's 150-char option cap."""
    return f"{action_id}|{extra}|{view.encode()}"


def parse_control(actor_id: int, control: str, value: str) -> Command | None:
    """The command behind a pressed control, or None for a control that is not ours or is mangled."""
    try:
        kind = ControlId(control)
    except ValueError:
        return None
    if kind is ControlId.MORE:
        return ShowActions(actor_id, ListView.decode(value))
    if kind is ControlId.UNDO:
        undo = parse_id(value)
        return UndoLog(actor_id, undo) if undo is not None else None
    if kind in _LEAD_CONTROLS:
        return _lead_command(actor_id, kind, value)
    if kind.value in DRAFT_CONTROLS:
        return draft_command(actor_id, kind.value, value)
    if kind is ControlId.LOG_PICK:
        head, _, text = value.partition("|")
        deal, _, once = head.partition(":")
        deal_id = parse_id(deal)
        return LogLine(actor_id, text, deal_id, once[:64]) if deal_id is not None and text else None
    parts = value.split("|", 2)
    if len(parts) != 3:
        return None
    raw_id, extra, view_text = parts
    try:
        action_id = uuid.UUID(raw_id)
    except ValueError:
        return None
    view = ListView.decode(view_text)
    if kind is ControlId.DONE:
        return MarkDone(actor_id, action_id, view)
    if kind is ControlId.SNOOZE:
        try:
            return Snooze(actor_id, action_id, SnoozeFor(extra), view)
        except ValueError:
            return None
    if kind is ControlId.ADVANCE:
        return AdvanceStage(actor_id, action_id, extra, view) if extra else None
    if kind is ControlId.LOG:
        deal_id = parse_id(extra)
        return OpenLogForm(actor_id, deal_id) if deal_id is not None else None
    return None


def log_pick_value(deal_id: int, once: str, text: str) -> str:
    """`<deal id>:<token>|<the /log line>`: a pick-list button's value (see `LogLine.once`)."""
    return f"{deal_id}:{once}|{text}"


_LEAD_CONTROLS = frozenset({ControlId.LEAD_ACCEPT, ControlId.LEAD_REASSIGN, ControlId.LEAD_TOUCH})


def lead_value(lead_id: int, extra: str | int = "") -> str:
    """`<lead id>|<extra>`: a lead control's value (extra: the rep to reassign to, a touch kind)."""
    return f"{lead_id}|{extra}"


def _lead_command(actor_id: int, kind: ControlId, value: str) -> Command | None:
    lead, _, extra = value.partition("|")
    lead_id = parse_id(lead)
    if lead_id is None:
        return None
    if kind is ControlId.LEAD_ACCEPT:
        return AcceptLead(actor_id, lead_id)
    if kind is ControlId.LEAD_REASSIGN:
        rep_id = parse_id(extra)
        return ReassignLead(actor_id, lead_id, rep_id) if rep_id is not None else None
    try:
        touch = ActivityKind(extra)
    except ValueError:
        return None
    return LogFirstTouch(actor_id, lead_id, touch) if touch in FIRST_TOUCH_KINDS else None
