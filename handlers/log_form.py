"""`/log` with no arguments: the form, its deal typeahead, and checking what comes back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from core.commands import FindDeals, LogActivity, OpenLogForm
from core.ids import parse_id
from core.messages import Choice, Form, FormField
from core.model import ActivityKind
from core.permissions import team_of
from core.ports import UnitOfWork
from handlers.deals import acting_rep
from handlers.deps import Deps, Reply
from handlers.errors import FieldErrors
from handlers.log import new_once, visible_deals

LOG_FORM = "dealbot.log_form"
MAX_NOTES = 3000
OUTCOMES = ("Connected", "Left a voicemail", "No answer", "Meeting booked", "Not interested")
TYPEAHEAD_LIMIT = 50


def open_log_form(command: OpenLogForm, deps: Deps) -> Reply:
    """The form, with the deal filled in when it was opened from a list item."""
    with deps.uow_factory() as uow:
        actor = acting_rep(uow, command.actor_id)
        deal = None
        if command.deal_id is not None:
            deal = next((d for d in visible_deals(uow, actor) if d.id == command.deal_id), None)
    stages = deps.pipeline.next_stages(deal.stage) if deal else deps.pipeline.all_stages
    kinds = tuple(Choice(k.value.capitalize(), k.value) for k in ActivityKind)
    fields = (
        FormField(
            "deal",
            "Deal",
            "deal_search",
            required=True,
            choices=(Choice(deal.name, str(deal.id)),) if deal else (),
            initial=str(deal.id) if deal else None,
            hint="Type part of a deal or account name",
        ),
        FormField("kind", "Type", "select", required=True, choices=kinds, initial="call"),
        FormField("outcome", "Outcome", "select", choices=tuple(Choice(o, o) for o in OUTCOMES)),
        FormField("notes", "Notes", "multiline", max_length=MAX_NOTES),
        FormField("next_text", "Next action", "text", max_length=200, hint="e.g. Send pricing"),
        FormField("next_owner", "Next action owner", "user", hint="You, if left empty"),
        FormField("next_due", "Next action due", "date"),
        FormField("stage", "Move to stage", "select", choices=tuple(Choice(s, s) for s in stages)),
    )
    return Reply(form=Form(LOG_FORM, "Log a call", "Log it", fields, context=new_once()))


def find_deals(command: FindDeals, deps: Deps) -> Reply:
    """Deals the actor may log on whose name or account contains the typed text."""
    key = command.text.strip().lower()
    with deps.uow_factory() as uow:
        actor = acting_rep(uow, command.actor_id)
        deals = visible_deals(uow, actor)
        accounts = {a.id: a.name for a in uow.accounts.list()} if deals else {}
    found = [
        Choice(
            d.name if not accounts.get(d.account_id) else f"{d.name} ({accounts[d.account_id]})",
            str(d.id),
        )
        for d in deals
        if not key or key in d.name.lower() or key in accounts.get(d.account_id, "").lower()
    ]
    found.sort(key=lambda c: c.label.lower())
    return Reply(choices=tuple(found[:TYPEAHEAD_LIMIT]))


def read_log_form(
    actor_id: int, values: Mapping[str, str | None], deps: Deps, *, today: date, once: str = ""
) -> LogActivity:
    """The form's values as a command, or every problem at once as field errors.

    `once` is the form's context as rendered (its token), so a second submit logs nothing."""
    errors: dict[str, str] = {}
    deal_id = parse_id(values.get("deal") or "")
    if deal_id is None:
        errors["deal"] = "Pick a deal from the list."
    kind_text = values.get("kind") or "call"
    if kind_text not in {k.value for k in ActivityKind}:
        errors["kind"] = "Pick call, email, meeting or note."
    notes = (values.get("notes") or "").strip()
    if len(notes) > MAX_NOTES:
        errors["notes"] = f"Keep notes under {MAX_NOTES:,} characters (this is {len(notes):,})."
    next_text = (values.get("next_text") or "").strip() or None
    due = _due(values.get("next_due"), today, errors)
    if due is not None and next_text is None:
        errors["next_text"] = "Say what the next action is, or clear its due date."
    owner = values.get("next_owner")
    owner_id = parse_id(owner) if owner is not None else None
    if owner is not None and owner_id is None:
        errors["next_owner"] = "That person isn't set up in dealbot; pick a rep or leave it empty."
    stage = values.get("stage") or None
    if stage is not None and deps.pipeline.canonical(stage) is None:
        errors["stage"] = "Pick a stage from the list."
    if not notes and next_text is None and stage is None:
        errors["notes"] = "Add a note, a next action or a stage change: there is nothing to log."
    if errors:
        raise FieldErrors(errors)
    return LogActivity(
        actor_id=actor_id,
        deal_id=deal_id or 0,
        kind=ActivityKind(kind_text),
        notes=notes,
        outcome=values.get("outcome") or None,
        next_text=next_text,
        next_due=due,
        next_owner_id=owner_id,
        to_stage=stage,
        once=once[:64],
    )


def _due(text: str | None, today: date, errors: dict[str, str]) -> date | None:
    if not text:
        return None
    try:
        due = date.fromisoformat(text)
    except ValueError:
        errors["next_due"] = "Pick a date."
        return None
    if due < today:
        errors["next_due"] = "That date is past; pick today or later."
    return due


def owner_choices(uow: UnitOfWork, actor_id: int) -> tuple[Choice, ...]:
    """Whom the actor may give a next action to: themselves first, and for managers their team."""
    actor = uow.reps.get(actor_id)
    reps = team_of(actor, uow.reps.list()) if actor is not None else []
    mine = [Choice(f"{rep.name} (me)", str(rep.id)) for rep in reps if rep.id == actor_id]
    others = sorted(
        (Choice(rep.name, str(rep.id)) for rep in reps if rep.id != actor_id),
        key=lambda c: c.label.lower(),
    )
    return tuple(mine + others)
