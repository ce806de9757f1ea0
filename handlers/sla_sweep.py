"""The SLA sweep: fire each response-clock level that has come due, once.

The scheduler runs it every few seconds. It reads only the leads whose next level is due (an
indexed `sla_next_at <= now`), so a sweep over a large backlog of open leads costs what is due,
not what is open. For each lead the level moves forward with a compare-and-set, and only the
sweep that moved it writes the messages, under keys `sla:{lead}:{clock start}:{level}`: two
replicas sweeping at once still send one reminder, one breach and one escalation.

- reminder: a DM to the owner before the breach;
- breach: a post in the team channel naming the owner and the time waited, and the channel
  alert is edited to show it;
- escalation: a DM to the owner's manager (the team channel when there is none), and with
  `reassign_on_escalation` the lead moves to the next eligible rep who has not had it yet, with a
  fresh clock of their own (new start, so new keys; the old owner's levels cannot fire again).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from core.lead_messages import sla_breach, sla_escalation, sla_reminder
from core.messages import Message, message_to_dict
from core.model import Lead, LeadStatus, Rep
from core.ports import Assignment, UnitOfWork
from core.routing import route_lead
from core.sla import SlaClock, SlaLevel, describe_duration, elapsed, start_clock
from handlers.directory import Desk
from handlers.lead_alerts import announce, lead_card, refresh
from handlers.lead_clock import with_clock_for
from handlers.lead_desk import DeskDeps
from handlers.targets import Target

SWEEP_LIMIT = 2000
"""Leads handled per sweep; a bigger backlog is worked through by the next sweeps."""


@dataclass
class SweepRun:
    """What one sweep did, in counts only (safe to log)."""

    at: datetime
    due: int = 0
    reminders: int = 0
    breaches: int = 0
    escalations: int = 0
    reassigned: int = 0
    stopped: int = 0
    """Clocks found due that had already stopped (touched or closed): cleared, nothing sent."""
    raced: int = 0
    """Levels another sweep fired first."""
    levels: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return (
            f"{self.due} due: {self.reminders} reminders, {self.breaches} breaches, "
            f"{self.escalations} escalations, {self.reassigned} reassigned"
        )


def sla_key(lead: Lead, level: SlaLevel) -> str:
    started = lead.clock_started_at.timestamp() if lead.clock_started_at else 0
    return f"sla:{lead.id}:{int(started)}:{level.name.lower()}"


def sweep_response_clocks(deps: DeskDeps, *, limit: int = SWEEP_LIMIT) -> SweepRun:
    """Fire the due levels of every lead whose clock has one due now."""
    at = deps.clock.now()
    run = SweepRun(at)
    with deps.uow_factory() as uow:
        due = uow.leads.clocks_due(at, limit=limit)
        run.due = len(due)
        if not due:
            return run
        desk = deps.directory(uow)
        for lead in due:
            _sweep_one(uow, deps, desk, lead, at, run)
        uow.commit()
    return run


def _sweep_one(
    uow: UnitOfWork, deps: DeskDeps, desk: Desk, lead: Lead, at: datetime, run: SweepRun
) -> None:
    assert lead.id is not None
    started = lead.clock_started_at
    stopped = lead.first_touch_at is not None or lead.status not in (
        LeadStatus.NEW,
        LeadStatus.WORKING,
    )
    if started is None or stopped or lead.tier not in deps.policy.sla.targets:
        _clear(uow, lead)
        run.stopped += 1
        return
    owner = desk.rep(lead.owner_id)
    clock = start_clock(started, lead.tier or "", deps.policy.sla, owner)
    levels = clock.levels_due(lead.sla_fired, at)
    if not levels:  # the owner's hours moved the deadline (e.g. a reassignment): look again later
        uow.leads.advance_clock(
            lead.id,
            started_at=started,
            from_fired=lead.sla_fired,
            to_fired=lead.sla_fired,
            next_at=clock.next_at(lead.sla_fired),
        )
        return
    top = max(levels)
    moved = uow.leads.advance_clock(
        lead.id,
        started_at=started,
        from_fired=lead.sla_fired,
        to_fired=int(top),
        next_at=clock.next_at(int(top)),
    )
    if not moved:
        run.raced += 1
        return
    lead = replace(lead, sla_fired=int(top), sla_next_at=clock.next_at(int(top)))
    waited = describe_duration(elapsed(clock, at, deps.policy.sla, owner))
    for level in levels:
        _fire(uow, deps, desk, lead, owner, clock, level, waited, at, run)
    if top < SlaLevel.BREACH:
        return  # a reminder is the owner's; the channel alert does not change
    if SlaLevel.ESCALATION in levels and deps.policy.sla.reassign_on_escalation:
        lead = uow.leads.get(lead.id) or lead  # the escalation may have given it to someone else
    team = desk.team_for(lead, deps.policy.default_team)
    card = lead_card(uow, lead, desk, deps.policy, at)
    refresh(uow, lead, card, team=team, policy=deps.policy, at=at)


def _clear(uow: UnitOfWork, lead: Lead) -> None:
    """A clock found due that had stopped (touched however, closed, untimed): forget it."""
    if lead.id is not None:
        uow.leads.stop_clock(lead.id)


def _fire(
    uow: UnitOfWork,
    deps: DeskDeps,
    desk: Desk,
    lead: Lead,
    owner: Rep | None,
    clock: SlaClock,
    level: SlaLevel,
    waited: str,
    at: datetime,
    run: SweepRun,
) -> None:
    run.levels.append(f"{lead.id}:{level.name.lower()}")
    team = desk.team_for(lead, deps.policy.default_team)
    if level is SlaLevel.REMINDER:
        if owner is not None:
            left = describe_duration(max(clock.breach_at - at, timedelta(0)))
            to = deps.policy.destinations.dm(owner)
            _send(uow, sla_key(lead, level), to, sla_reminder(lead, left=left), lead, at)
            run.reminders += 1
    elif level is SlaLevel.BREACH:
        places = deps.policy.destinations
        to = places.channel(team) or (places.dm(owner) if owner else None)
        if to is not None:
            message = sla_breach(lead, owner_name=owner.name if owner else None, elapsed=waited)
            _send(uow, sla_key(lead, level), to, message, lead, at)
        run.breaches += 1
    else:
        _escalate(uow, deps, desk, lead, owner, waited, at, run)


def _escalate(
    uow: UnitOfWork,
    deps: DeskDeps,
    desk: Desk,
    lead: Lead,
    owner: Rep | None,
    waited: str,
    at: datetime,
    run: SweepRun,
) -> None:
    new_owner = (
        _reassign(uow, deps, desk, lead, owner, at)
        if deps.policy.sla.reassign_on_escalation
        else None
    )
    if new_owner is not None:
        run.reassigned += 1
    manager = desk.rep(owner.manager_id) if owner is not None else None
    team = desk.team_for(lead, deps.policy.default_team)
    places = deps.policy.destinations
    to = places.dm(manager) if manager is not None else places.channel(team)
    if to is not None:
        message = sla_escalation(
            lead,
            owner_name=owner.name if owner else None,
            elapsed=waited,
            new_owner=new_owner.name if new_owner else None,
        )
        _send(uow, sla_key(lead, SlaLevel.ESCALATION), to, message, lead, at)
    run.escalations += 1


def _reassign(
    uow: UnitOfWork, deps: DeskDeps, desk: Desk, lead: Lead, owner: Rep | None, at: datetime
) -> Rep | None:
    """Give the lead to the next eligible rep who has not had it (it would only bounce back to
    someone who let it run out), with a fresh clock; None when there is nobody."""
    assert lead.id is not None
    had_it = {moved.rep_id for moved in uow.assignments.for_lead(lead.id)}
    exclude = frozenset(had_it | ({owner.id} if owner is not None and owner.id else set()))
    account = uow.accounts.get(lead.account_id) if lead.account_id is not None else None
    routing = route_lead(
        lead,
        tier=lead.tier or "cold",
        account=account,
        reps=desk.active,
        loads=desk.loads(uow, deps.policy.routing, at),
        policy=deps.policy.routing,
        at=at,
        exclude=exclude,
    )
    new_owner = desk.rep(routing.owner_id)
    if new_owner is None or new_owner.id is None:
        return None
    reason = f"escalated: {routing.reason}"
    current = uow.leads.get(lead.id) or lead
    moved = replace(
        current, owner_id=new_owner.id, assigned_at=at, routing_reason=reason, accepted_at=None
    )
    moved = uow.leads.update(with_clock_for(moved, deps.policy, new_owner, at))
    uow.assignments.add(
        Assignment(
            lead.id, new_owner.id, lead.tier or "cold", routing.rule, reason, at, "escalation"
        )
    )
    desk.forget_loads()
    card = lead_card(uow, moved, desk, deps.policy, at)
    announce(uow, moved, card, team=None, owner=new_owner, policy=deps.policy, at=at)
    return new_owner


def _send(
    uow: UnitOfWork, key: str, to: Target, message: Message, lead: Lead, at: datetime
) -> None:
    payload = {"kind": "sla", "lead_id": lead.id, "message": message_to_dict(message)}
    uow.outbox.enqueue(key=key, platform=to.platform, target=to.target, payload=payload, at=at)
