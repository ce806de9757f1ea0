"""The buttons on every list item: Done, Snooze and Advance stage.

A press changes one action (and, for Advance, its deal), is audit-logged, and redraws the list it
came from with a line saying what happened. A press on an item already handled (another click,
another device, another person) says so and changes nothing.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from core.commands import SNOOZE_LABELS, AdvanceStage, MarkDone, Snooze
from core.model import (
    Action,
    ActionKind,
    ActionStatus,
    Activity,
    ActivityKind,
    Deal,
    DealStatus,
    Rep,
    StageChange,
)
from core.permissions import can_act_for
from core.ports import UnitOfWork
from core.schedule import local_now
from core.snooze import end_of_local_day, snooze_until
from handlers.deals import acting_rep, list_message
from handlers.deps import Deps, Reply
from handlers.errors import AlreadyHandled, NotAllowed, UserError

GONE = "That item is no longer on any list. /deals shows the current one."


def mark_done(command: MarkDone, deps: Deps) -> Reply:
    """Done: the item leaves the list for the rest of the owner's day; the touch is logged."""
    at = deps.clock.now()
    with deps.uow_factory() as uow:
        actor, action, owner = _open_action(uow, command.actor_id, command.action_id)
        _claim(uow, action, ActionStatus.DONE, at, end_of_local_day(owner, at))
        _log_touch(uow, deps, actor, action, at)
        _audit(uow, deps, actor, action, "action.done", {"status": ActionStatus.DONE.value}, at)
        message = list_message(
            uow, deps, actor, command.view, at=at, notice=f"✓ Done: {action.title}"
        )
        uow.commit()
    return Reply(message=message, replace=True, changed_reps=_reps(actor, owner))


def snooze(command: Snooze, deps: Deps) -> Reply:
    """Snooze: the item comes back at the chosen moment, in the owner's time zone."""
    at = deps.clock.now()
    with deps.uow_factory() as uow:
        actor, action, owner = _open_action(uow, command.actor_id, command.action_id)
        until = snooze_until(owner, command.until, at)
        _claim(uow, action, ActionStatus.SNOOZED, at, until)
        after = {"status": ActionStatus.SNOOZED.value, "until": until.isoformat()}
        _audit(uow, deps, actor, action, "action.snooze", after, at)
        when = local_now(actor, until).strftime("%a %d %b %H:%M")
        label = SNOOZE_LABELS[command.until].lower()
        notice = f"Snoozed ({label}, back {when}): {action.title}"
        message = list_message(uow, deps, actor, command.view, at=at, notice=notice)
        uow.commit()
    return Reply(message=message, replace=True, changed_reps=_reps(actor, owner))


def advance_stage(command: AdvanceStage, deps: Deps) -> Reply:
    """Advance: the deal moves to a later stage (or Won/Lost); the stage change is recorded."""
    at = deps.clock.now()
    with deps.uow_factory() as uow:
        actor, action, owner = _open_action(uow, command.actor_id, command.action_id)
        deal = uow.deals.get(action.subject_id) if action.subject_type == "deal" else None
        if deal is None or deal.status is not DealStatus.OPEN:
            raise AlreadyHandled(f"{action.title} is closed already; nothing changed.")
        _claim(uow, action, ActionStatus.DONE, at, end_of_local_day(owner, at))
        moved = move_deal(uow, deps, deal, command.to_stage, at)
        uow.audit.record(
            actor=_who(deps, actor),
            action="deal.stage",
            subject=f"deal:{deal.id}",
            before={"stage": deal.stage, "status": deal.status.value},
            after={"stage": moved.stage, "status": moved.status.value},
            at=at,
        )
        notice = f"Moved {deal.name} from {deal.stage} to {moved.stage}."
        message = list_message(uow, deps, actor, command.view, at=at, notice=notice)
        uow.commit()
    return Reply(message=message, replace=True, changed_reps=_reps(actor, owner))


def move_deal(uow: UnitOfWork, deps: Deps, deal: Deal, to_stage: str, at: datetime) -> Deal:
    """The deal in `to_stage` (a later stage, Won or Lost), stored with its stage change."""
    stage = deps.pipeline.canonical(to_stage)
    allowed = deps.pipeline.next_stages(deal.stage)
    if stage is None or stage not in allowed:
        raise UserError(
            f"{deal.name} is in {deal.stage}; it can move to {', '.join(allowed) or 'no later stage'}, "
            f"not '{to_stage}'."
        )
    status = deps.pipeline.status_of(stage)
    moved = dataclasses.replace(
        deal,
        stage=stage,
        stage_entered_at=at,
        status=status,
        closed_at=at if status is not DealStatus.OPEN else None,
    )
    uow.deals.update(moved)
    uow.deals.add_stage_change(
        StageChange(deal_id=deal.id or 0, to_stage=stage, changed_at=at, from_stage=deal.stage)
    )
    return moved


def _open_action(uow: UnitOfWork, actor_id: int, action_id: object) -> tuple[Rep, Action, Rep]:
    actor = acting_rep(uow, actor_id)
    action = uow.actions.get(action_id)  # type: ignore[arg-type]
    if action is None:
        raise UserError(GONE)
    owner = uow.reps.get(action.rep_id)
    if owner is None or not can_act_for(actor, owner):
        raise NotAllowed("That item belongs to someone else's list, so you can't change it.")
    if action.status is not ActionStatus.SHOWN:
        raise AlreadyHandled(_handled_text(action))
    return actor, action, owner


def _claim(
    uow: UnitOfWork, action: Action, status: ActionStatus, at: datetime, until: datetime
) -> None:
    if not uow.actions.set_status(
        action.id, status, at=at, until=until, only_from=ActionStatus.SHOWN
    ):
        raise AlreadyHandled(_handled_text(uow.actions.get(action.id) or action))


def _handled_text(action: Action) -> str:
    state = {
        ActionStatus.DONE: "marked done",
        ActionStatus.SNOOZED: "snoozed",
        ActionStatus.DISMISSED: "dismissed",
    }.get(action.status, action.status.value)
    return f"Already {state}: {action.title}. Nothing changed; /deals shows the current list."


def _log_touch(uow: UnitOfWork, deps: Deps, actor: Rep, action: Action, at: datetime) -> None:
    deal_id = action.subject_id if action.subject_type == "deal" else None
    lead_id = action.subject_id if action.subject_type == "lead" else None
    uow.activities.add(
        Activity(
            kind=ActivityKind.NOTE,
            occurred_at=at,
            deal_id=deal_id,
            lead_id=lead_id,
            rep_id=actor.id,
            summary=f"Done: {action.title}",
            surface=deps.surface,
        )
    )
    if deal_id is not None and action.kind is ActionKind.OVERDUE_NEXT_STEP:
        deal = uow.deals.get(deal_id)
        if deal is not None and deal.next_action is not None:
            uow.deals.update(dataclasses.replace(deal, next_action=None))


def _audit(
    uow: UnitOfWork,
    deps: Deps,
    actor: Rep,
    action: Action,
    what: str,
    after: dict[str, str],
    at: datetime,
) -> None:
    uow.audit.record(
        actor=_who(deps, actor),
        action=what,
        subject=f"action:{action.id}",
        before={"status": action.status.value},
        after=after,
        at=at,
    )


def _who(deps: Deps, actor: Rep) -> str:
    return f"rep:{actor.id} via {deps.surface}"


def _reps(actor: Rep, owner: Rep) -> tuple[int, ...]:
    return tuple(sorted({actor.id or 0, owner.id or 0}))
