"""The buttons on a lead alert: Accept, Reassign and Log first touch.

Each press is audit-logged, edits the channel alert in place (through the outbox) and answers
with the alert as it now stands, so the message pressed updates too. Who may press what: the
owner; a manager for their team's leads; an admin for all. Anyone may take a lead nobody owns
yet (it waits in the queue). A lead already touched says so and changes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from core.commands import AcceptLead, LogFirstTouch, ReassignLead
from core.lead_messages import lead_alert
from core.model import Activity, Lead, LeadStatus, Rep
from core.permissions import can_act_for
from core.ports import Assignment, UnitOfWork
from handlers.deals import acting_rep
from handlers.deps import Deps, Reply
from handlers.directory import Desk
from handlers.errors import AlreadyHandled, NotAllowed, UserError
from handlers.lead_alerts import announce, first_name, lead_card, refresh
from handlers.lead_clock import with_clock_for
from handlers.lead_desk import DeskPolicy


def accept_lead(command: AcceptLead, deps: Deps) -> Reply:
    """The owner takes the lead (a queued lead becomes the presser's); the clock keeps running."""
    at = deps.clock.now()
    with deps.uow_factory() as uow:
        actor, lead, desk = _open_lead(uow, command.actor_id, command.lead_id)
        if lead.accepted_at is not None:
            raise AlreadyHandled(f"{lead.name} was already accepted by {desk.name(lead.owner_id)}.")
        if lead.owner_id is None:
            lead = _give(uow, lead, actor, actor, "took it from the queue", at)
        elif lead.owner_id != actor.id:
            owner = desk.name(lead.owner_id)
            raise NotAllowed(
                f"{lead.name} is {owner}'s lead: only {owner} can accept it. "
                "A manager can reassign it from the alert."
            )
        lead = uow.leads.update(replace(lead, accepted_at=at))
        _audit(
            uow,
            deps,
            actor,
            "lead.accept",
            lead,
            {"accepted_at": None},
            {"accepted_at": at.isoformat()},
            at,
        )
        reply = _redraw(uow, deps, desk, lead, at)
        uow.commit()
    return reply


def reassign_lead(command: ReassignLead, deps: Deps) -> Reply:
    """Give the lead to another rep, with a fresh response clock in their working hours; they get
    a DM (unless they pressed it themselves)."""
    at = deps.clock.now()
    with deps.uow_factory() as uow:
        actor, lead, desk = _open_lead(uow, command.actor_id, command.lead_id)
        _may_change(actor, lead, desk, "reassign")
        target = desk.rep(command.to_rep_id)
        if target is None or not target.active:
            raise UserError("That rep is not active any more. Pick someone else from the list.")
        if target.id == lead.owner_id:
            raise AlreadyHandled(f"{lead.name} is already {target.name}'s lead.")
        before = {"owner_id": lead.owner_id, "first_touch_due": _when(lead.first_touch_due)}
        why = f"reassigned by {first_name(actor)}"
        lead = _give(uow, lead, target, actor, why, at, restart_clock=deps.desk)
        after = {"owner_id": target.id, "first_touch_due": _when(lead.first_touch_due)}
        _audit(uow, deps, actor, "lead.reassign", lead, before, after, at)
        card = lead_card(uow, lead, desk, deps.desk, at)
        announce(
            uow, lead, card, team=None, owner=target, policy=deps.desk, at=at, actor_id=actor.id
        )
        reply = _redraw(uow, deps, desk, lead, at)
        uow.commit()
    return reply


def log_first_touch(command: LogFirstTouch, deps: Deps) -> Reply:
    """A call, email or meeting with the lead: recorded on its timeline; the clock stops."""
    at = deps.clock.now()
    with deps.uow_factory() as uow:
        actor, lead, desk = _open_lead(uow, command.actor_id, command.lead_id)
        _may_change(actor, lead, desk, "log a touch on")
        touch = Activity(
            command.kind,
            at,
            lead_id=lead.id,
            rep_id=actor.id,
            summary=f"First touch ({command.kind.value}) from the lead alert",
            surface=deps.surface,
        )
        uow.activities.add(touch)
        status = LeadStatus.WORKING if lead.status is LeadStatus.NEW else lead.status
        lead = uow.leads.update(replace(lead, first_touch_at=at, sla_next_at=None, status=status))
        after = {"first_touch_at": at.isoformat(), "kind": command.kind.value}
        _audit(uow, deps, actor, "lead.first_touch", lead, {"first_touch_at": None}, after, at)
        reply = _redraw(uow, deps, desk, lead, at)
        uow.commit()
    return reply


def _open_lead(uow: UnitOfWork, actor_id: int, lead_id: int) -> tuple[Rep, Lead, Desk]:
    actor = acting_rep(uow, actor_id)
    lead = uow.leads.get(lead_id)
    if lead is None:
        raise UserError("That lead no longer exists. /deals shows your current list.")
    if lead.first_touch_at is not None:
        raise AlreadyHandled(f"{lead.name} already had a first touch; nothing to change here.")
    if lead.status not in (LeadStatus.NEW, LeadStatus.WORKING):
        raise AlreadyHandled(f"{lead.name} is {lead.status.value} already.")
    return actor, lead, Desk.read(uow)


def _may_change(actor: Rep, lead: Lead, desk: Desk, what: str) -> None:
    owner = desk.rep(lead.owner_id)
    if owner is None and lead.owner_id is None:
        return  # a queued lead: anyone on the desk may take it on
    if not can_act_for(actor, owner):
        name = owner.name if owner else "someone else"
        raise NotAllowed(f"Only {name}, their manager or an admin can {what} {lead.name}.")


def _give(
    uow: UnitOfWork,
    lead: Lead,
    to: Rep,
    actor: Rep,
    why: str,
    at: datetime,
    *,
    restart_clock: DeskPolicy | None = None,
) -> Lead:
    """The lead given to `to`; with `restart_clock`, their own response clock starts now (taking a
    lead from the queue does not restart it: the taker is on it already)."""
    assert lead.id is not None and to.id is not None
    reason = f"{first_name(to)}: {why}"
    moved = replace(
        lead,
        owner_id=to.id,
        assigned_at=at,
        accepted_at=None,
        routing_rule="manual",
        routing_reason=reason,
        team_id=to.team_id or lead.team_id,
    )
    if restart_clock is not None:
        moved = with_clock_for(moved, restart_clock, to, at)
    uow.assignments.add(
        Assignment(lead.id, to.id, lead.tier or "cold", "manual", reason, at, actor.email)
    )
    return uow.leads.update(moved)


def _when(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _redraw(uow: UnitOfWork, deps: Deps, desk: Desk, lead: Lead, at: datetime) -> Reply:
    policy: DeskPolicy = deps.desk
    card = lead_card(uow, lead, desk, policy, at)
    refresh(uow, lead, card, team=desk.team_for(lead, policy.default_team), policy=policy, at=at)
    changed = (lead.owner_id,) if lead.owner_id is not None else ()
    return Reply(message=lead_alert(card), replace=True, changed_reps=changed)


def _audit(
    uow: UnitOfWork,
    deps: Deps,
    actor: Rep,
    what: str,
    lead: Lead,
    before: dict[str, Any],
    after: dict[str, Any],
    at: datetime,
) -> None:
    uow.audit.record(
        actor=f"rep:{actor.id} via {deps.surface}",
        action=what,
        subject=f"lead:{lead.id}",
        before=before,
        after=after,
        at=at,
    )
