"""The ranked list as a neutral message: `/deals`, the Home tab and the morning digest.

Each item is a section with its reason and the same controls everywhere: Done, Snooze, and for
deals Log call, Draft follow-up and Advance stage. Values carry the action's UUID and the list
view, so a press can redraw the list it came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.commands import SNOOZE_LABELS, ControlId, ListView, SnoozeFor, control_value
from core.messages import Button, Control, Message, Option, Section, Select, Style
from core.model import Action, ActionKind
from core.money import format_amount

URGENT_KINDS = frozenset({ActionKind.OVERDUE_NEXT_STEP, ActionKind.FIRST_TOUCH})


@dataclass(frozen=True, slots=True)
class ListItem:
    """One ranked action with what the message needs around it."""

    action: Action
    next_stages: tuple[str, ...] = ()
    owner_name: str | None = None
    """Set in a manager's team view, so each item says whose it is."""


def item_section(item: ListItem, view: ListView) -> Section:
    action = item.action
    heading = action.title if item.owner_name is None else f"{action.title} · {item.owner_name}"
    return Section(
        heading=heading,
        text=_reason(action),
        controls=item_controls(item, view),
        key=str(action.id),
    )


def item_controls(item: ListItem, view: ListView) -> tuple[Control, ...]:
    action = item.action
    done = Button("Done", ControlId.DONE, control_value(action.id, view), Style.PRIMARY)
    snooze = Select(
        "Snooze",
        ControlId.SNOOZE,
        tuple(Option(SNOOZE_LABELS[s], control_value(action.id, view, s.value)) for s in SnoozeFor),
    )
    controls: list[Control] = [done, snooze]
    if action.subject_type == "deal":
        controls.append(
            Button(
                "Log call", ControlId.LOG, control_value(action.id, view, str(action.subject_id))
            )
        )
        draft = control_value(action.id, view, str(action.subject_id))
        controls.append(Button("Draft follow-up", ControlId.DRAFT, draft))
        if item.next_stages:
            options = tuple(
                Option(stage, control_value(action.id, view, stage)) for stage in item.next_stages
            )
            controls.append(Select("Advance stage", ControlId.ADVANCE, options))
    return tuple(controls)


def action_list_message(
    items: Sequence[ListItem],
    *,
    view: ListView,
    page_size: int,
    has_more: bool,
    heading: str,
    notice: str | None = None,
) -> Message:
    """A page of the list; `notice` (e.g. "Marked done: ...") goes on top after a press."""
    shown = items[(view.page - 1) * page_size : view.page * page_size]
    sections = [Section(text=notice)] if notice else []
    sections += [item_section(item, view) for item in shown]
    if not shown:
        sections.append(Section(text=_empty_text(view)))
    controls: tuple[Control, ...] = ()
    if has_more:
        more = ListView(view.query, view.page + 1, view.team, view.digest)
        controls = (Button("More", ControlId.MORE, more.encode()),)
    first = (view.page - 1) * page_size + 1
    span = f"{first}-{first + len(shown) - 1}" if shown else "none"
    return Message(
        summary=f"{heading}: {len(shown)} action{'s' if len(shown) != 1 else ''}",
        title=heading,
        sections=tuple(sections),
        footer=f"Showing {span}, best first: amount x chance to close / days to close, "
        "raised when something is overdue or gone quiet.",
        controls=controls,
    )


def digest_message(
    rep_name: str,
    items: Sequence[ListItem],
    *,
    open_deals: int,
    notice: str | None = None,
) -> Message:
    """The morning DM: a header with the count and the value at stake, then the top items."""
    view = ListView(digest=True)
    first_name = rep_name.split()[0] if rep_name.strip() else rep_name
    currency = items[0].action.currency if items else "USD"
    total = format_amount(sum(item.action.value for item in items), currency)
    count = f"{len(items)} action{'s' if len(items) != 1 else ''}"
    if not items:
        intro = f"Nothing needs you this morning ({open_deals} open deals, all on track)."
    elif any(item.action.kind in URGENT_KINDS for item in items):
        intro = f"{count} for today, {total} of expected value. Overdue and time-boxed items first."
    else:
        intro = f"Nothing is urgent today. {count} worth your time, {total} of expected value."
    sections = [Section(text=notice)] if notice else []
    sections += [Section(text=intro)]
    sections += [item_section(item, view) for item in items]
    return Message(
        summary=f"Good morning {first_name}: {count}, {total} of expected value",
        title=f"Good morning, {first_name}",
        sections=tuple(sections),
        footer="Your list any time: /deals. Log a call: /log <deal> <note>.",
        private=False,
    )


def _reason(action: Action) -> str:
    reason = action.reason
    return reason[:1].upper() + reason[1:]


def _empty_text(view: ListView) -> str:
    if view.query:
        return (
            f"Nothing in your list matches '{view.query}'. "
            "Try part of a deal or account name, or a stage."
        )
    if view.page > 1:
        return "That's the whole list."
    return "Nothing to do right now: no open deals or leads need you."
