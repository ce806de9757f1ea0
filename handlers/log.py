"""`/log`: a call recorded in one line, from a pick list, or from the form; and its Undo."""

from __future__ import annotations

import dataclasses
import secrets
from datetime import datetime, timedelta

from core.commands import ControlId, LogActivity, LogLine, UndoLog, log_pick_value
from core.log_line import MAX_NOTE, DealName, LogLineError, NextStep, match_deal, split_next
from core.messages import Button, Message, Section, Style
from core.model import Activity, Deal, DealStatus, NextAction, Rep
from core.permissions import can_act_for, team_of
from core.ports import UnitOfWork
from core.schedule import local_now
from handlers.buttons import move_deal
from handlers.deals import acting_rep
from handlers.deps import Deps, Reply
from handlers.errors import AlreadyHandled, NotAllowed, UserError

UNDO_WINDOW = timedelta(minutes=10)
PICK_LIMIT = 10
USAGE = "Write it as /log <deal or account> <note>, e.g. /log acme called Sarah next: send pricing by fri"


def log_line(command: LogLine, deps: Deps) -> Reply:
    """Match the deal named by the first words; one match logs, several offer a pick list."""
    text = command.text.strip()
    if len(text) > MAX_NOTE:
        raise UserError(
            f"That note is {len(text):,} characters; /log takes up to {MAX_NOTE:,} in one line. "
            "Use /log with nothing after it for the form, which takes longer notes."
        )
    at = deps.clock.now()
    with deps.uow_factory() as uow:
        actor = acting_rep(uow, command.actor_id)
        today = local_now(actor, at).date()
        try:
            body, step = split_next(text, today)
        except LogLineError as error:
            raise UserError(str(error)) from None
        deals = visible_deals(uow, actor)
        if command.deal_id is not None:
            deals = [d for d in deals if d.id == command.deal_id]
        match = match_deal(body, [DealName(d.id or 0, d.name, _account(uow, d)) for d in deals])
        if not match.deals:
            raise UserError(
                f"No open deal of yours matches '{match.phrase}' (I looked at deal and account "
                f"names). /deals lists yours. {USAGE}"
            )
        if len(match.deals) > 1:
            return Reply(message=_pick_list(match.phrase, match.deals, text))
        if not match.note and step is None:
            raise UserError(f"Add what happened after the deal's name. {USAGE}")
        deal = next(d for d in deals if d.id == match.deals[0].id)
        command_for_deal = LogActivity(
            actor_id=actor.id or 0,
            deal_id=deal.id or 0,
            notes=match.note,
            next_text=step.text if step else None,
            next_due=step.due if step else None,
        )
        claim_once(uow, actor, deal, command.once, at)
        activity = record_activity(uow, deps, actor, deal, command_for_deal, at)
        uow.commit()
    return Reply(message=_confirmation(deal, activity, step), changed_reps=(actor.id or 0,))


def log_activity(command: LogActivity, deps: Deps) -> Reply:
    """The form's submit (or a pick-list choice): a checked deal, then the same recording."""
    at = deps.clock.now()
    with deps.uow_factory() as uow:
        actor = acting_rep(uow, command.actor_id)
        deal = uow.deals.get(command.deal_id)
        if deal is None or deal.status is not DealStatus.OPEN:
            raise UserError("That deal is closed or gone; pick another with /log.")
        if not can_act_for(actor, uow.reps.get(deal.owner_id or 0)):
            raise NotAllowed(
                "That deal belongs to someone outside your team, so you can't log on it."
            )
        claim_once(uow, actor, deal, command.once, at)
        activity = record_activity(uow, deps, actor, deal, command, at)
        uow.commit()
    step = NextStep(command.next_text, command.next_due) if command.next_text else None
    return Reply(message=_confirmation(deal, activity, step), changed_reps=(actor.id or 0,))


def new_once() -> str:
    """A fresh token for one rendered form or pick list (see `claim_once`)."""
    return secrets.token_hex(8)


def claim_once(uow: UnitOfWork, actor: Rep, deal: Deal, once: str, at: datetime) -> None:
    """Refuse a second press of the same rendered control; the claim commits with the activity.

    A double click sends the form or the pick-list button twice; both carry the token rendered
    into that form or button, so the second finds its key taken (on PostgreSQL it waits for the
    first's commit). Two forms carry two tokens, so the same note may still be logged twice.
    """
    if once and not uow.idempotency.claim(f"log:{actor.id}:{once}", at=at):
        raise AlreadyHandled(
            f"Already logged on {deal.name}: that was a second click on the same button, "
            "so nothing changed."
        )


def record_activity(
    uow: UnitOfWork, deps: Deps, actor: Rep, deal: Deal, command: LogActivity, at: datetime
) -> Activity:
    """The activity, the deal's new next action and stage, and one audit entry that Undo reads."""
    activity = uow.activities.add(
        Activity(
            kind=command.kind,
            occurred_at=at,
            deal_id=deal.id,
            rep_id=actor.id,
            summary=command.notes,
            outcome=command.outcome,
            surface=deps.surface,
        )
    )
    changed = deal
    if command.next_text:
        owner = command.next_owner_id or deal.owner_id or actor.id
        changed = dataclasses.replace(
            changed, next_action=NextAction(command.next_text, command.next_due, owner)
        )
        uow.deals.update(changed)
    if command.to_stage and command.to_stage != deal.stage:
        changed = move_deal(uow, deps, changed, command.to_stage, at)
    uow.audit.record(
        actor=f"rep:{actor.id} via {deps.surface}",
        action="activity.log",
        subject=f"activity:{activity.id}",
        before=_deal_state(deal),
        after={**_deal_state(changed), "activity": activity.id, "kind": command.kind.value},
        at=at,
    )
    return activity


def undo_log(command: UndoLog, deps: Deps) -> Reply:
    """Within 10 minutes: the activity goes, and the deal's next action and stage come back."""
    at = deps.clock.now()
    with deps.uow_factory() as uow:
        actor = acting_rep(uow, command.actor_id)
        activity = uow.activities.get(command.activity_id)
        entry = uow.audit.latest(f"activity:{command.activity_id}")
        if activity is None or entry is None or entry.action != "activity.log":
            raise UserError("That log entry is already undone or gone; nothing changed.")
        if activity.rep_id != actor.id:
            raise NotAllowed("Only the person who logged it can undo it.")
        if at - activity.occurred_at > UNDO_WINDOW:
            raise UserError("Undo works for 10 minutes after logging; log a correction instead.")
        deal = uow.deals.get(activity.deal_id or 0)
        uow.activities.delete(command.activity_id)
        if deal is not None:
            _restore(uow, deal, entry.before)
        uow.audit.record(
            actor=f"rep:{actor.id} via {deps.surface}",
            action="activity.undo",
            subject=f"activity:{command.activity_id}",
            before=entry.after,
            after=entry.before,
            at=at,
        )
        uow.commit()
    name = deal.name if deal is not None else "the deal"
    return Reply(
        message=Message(
            summary=f"Undone: the log on {name} is removed.",
            sections=(
                Section(text=f"Undone: the log on {name} is removed and the deal is as it was."),
            ),
        ),
        replace=True,
        changed_reps=(actor.id or 0,),
    )


def visible_deals(uow: UnitOfWork, actor: Rep) -> list[Deal]:
    owners = [rep.id for rep in team_of(actor, uow.reps.list()) if rep.id is not None]
    return uow.deals.list_open(owner_ids=owners)


def _restore(uow: UnitOfWork, deal: Deal, before: dict[str, object]) -> None:
    nxt = before.get("next_action")
    next_action = None
    if isinstance(nxt, dict):
        due = nxt.get("due")
        next_action = NextAction(
            str(nxt["text"]),
            datetime.fromisoformat(str(due)).date() if due else None,
            int(nxt["owner_id"]) if nxt.get("owner_id") is not None else None,
        )
    stage = str(before.get("stage", deal.stage))
    restored = dataclasses.replace(deal, next_action=next_action)
    if stage != deal.stage:
        restored = dataclasses.replace(
            restored,
            stage=stage,
            status=DealStatus(str(before.get("status", "open"))),
            closed_at=None,
        )
    uow.deals.update(restored)


def _deal_state(deal: Deal) -> dict[str, object]:
    nxt = deal.next_action
    return {
        "deal": deal.id,
        "stage": deal.stage,
        "status": deal.status.value,
        "next_action": None
        if nxt is None
        else {
            "text": nxt.text,
            "due": nxt.due.isoformat() if nxt.due else None,
            "owner_id": nxt.owner_id,
        },
    }


def _account(uow: UnitOfWork, deal: Deal) -> str | None:
    account = uow.accounts.get(deal.account_id) if deal.account_id else None
    return account.name if account else None


def _pick_list(phrase: str, deals: tuple[DealName, ...], text: str) -> Message:
    shown = deals[:PICK_LIMIT]
    names = ", ".join(d.name for d in shown)
    more = (
        f" (and {len(deals) - len(shown)} more: add a word to narrow it)"
        if len(deals) > len(shown)
        else ""
    )
    once = new_once()
    buttons = tuple(
        Button(d.name, ControlId.LOG_PICK, log_pick_value(d.id, f"{once}{d.id}", text))
        for d in shown
    )
    return Message(
        summary=f"'{phrase}' matches {len(deals)} deals",
        sections=(
            Section(
                text=f"'{phrase}' matches {len(deals)} deals: {names}{more}. Which one?",
                controls=buttons,
            ),
        ),
    )


def _confirmation(deal: Deal, activity: Activity, step: NextStep | None) -> Message:
    lines = [f"Logged a {activity.kind.value} on {deal.name}."]
    if activity.summary:
        lines.append(f"Note: {activity.summary}")
    if step is not None:
        due = f" by {step.due.strftime('%a %d %b')}" if step.due else ""
        lines.append(f"Next: {step.text}{due}")
    undo = Button("Undo", ControlId.UNDO, str(activity.id), Style.DANGER)
    return Message(
        summary=lines[0],
        sections=(Section(text="\n".join(lines)),),
        footer="Undo works for 10 minutes.",
        controls=(undo,),
    )
