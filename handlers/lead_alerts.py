"""Announcing a lead, and keeping its one channel alert up to date, through the outbox.

Keys make each message once-only: `lead:{id}:channel` for the channel alert, `lead:{id}:dm:{rep}`
for each owner's DM, and `lead:{id}:channel:edit` for the newest revision of the alert (an edit,
never a second post). A DM outside the owner's working hours waits for their morning; the channel
hears at once. Nobody gets a DM about what they did themselves.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from core.lead_messages import LeadCard, lead_alert
from core.messages import Message, message_to_dict
from core.model import Account, ActivityKind, Lead, Rep, Team
from core.ports import UnitOfWork
from core.routing import eligible_reps
from core.schedule import digest_due_date
from core.sla import add_working_time, describe_duration, start_clock
from handlers.directory import Desk
from handlers.lead_desk import DeskPolicy

ALERT_KIND = "lead_alert"


def channel_key(lead_id: int) -> str:
    return f"lead:{lead_id}:channel"


def dm_key(lead_id: int, rep_id: int) -> str:
    return f"lead:{lead_id}:dm:{rep_id}"


def first_name(rep: Rep) -> str:
    """How alerts call a rep: the first word of their name."""
    return rep.name.split()[0] if rep.name.strip() else rep.email


def lead_card(
    uow: UnitOfWork,
    lead: Lead,
    desk: Desk,
    policy: DeskPolicy,
    at: datetime,
    *,
    fresh: bool = False,
    account: Account | None = None,
) -> LeadCard:
    """The alert's content as things stand: owner, deadline, reassign choices, what happened.

    `fresh`: the lead was placed in this transaction, in `account`: it has no history to tell
    yet, and its account need not be read again.
    """
    owner = desk.rep(lead.owner_id)
    due_at = None
    started = lead.clock_started_at
    if started is not None and lead.tier in policy.sla.targets:
        # A clock started in this transaction has just set the deadline; any other is worked out
        # as the sweep works it out (the owner or the tier may have changed since).
        fresh_due = lead.first_touch_due if fresh else None
        due_at = fresh_due or start_clock(started, lead.tier or "", policy.sla, owner).breach_at
    if not fresh and lead.account_id is not None:
        account = uow.accounts.get(lead.account_id)
    return LeadCard(
        lead=lead,
        owner_name=owner.name if owner else None,
        queue=policy.routing.queue,
        due_at=due_at,
        choices=_choices(lead, account, desk, uow, policy, at),
        events=() if fresh else _events(uow, lead, desk),
    )


def _choices(
    lead: Lead,
    account: Account | None,
    desk: Desk,
    uow: UnitOfWork,
    policy: DeskPolicy,
    at: datetime,
) -> tuple[tuple[int, str], ...]:
    """Who the lead can go to from the alert: available reps of its team, fairest first.

    The alert is the team's, so its select offers the team's reps (everyone's when the lead has
    no team yet).
    """
    if lead.first_touch_at is not None or lead.id is None:
        return ()
    exclude = frozenset({lead.owner_id}) if lead.owner_id is not None else frozenset()
    team = [r for r in desk.active if lead.team_id is None or r.team_id == lead.team_id]
    reps = eligible_reps(
        lead,
        tier=lead.tier or "cold",
        account=account,
        reps=team,
        loads=desk.loads(uow, policy.routing, at),
        policy=policy.routing,
        at=at,
        exclude=exclude,
    )
    return tuple((r.id, r.name) for r in reps if r.id is not None)


def _events(uow: UnitOfWork, lead: Lead, desk: Desk) -> tuple[str, ...]:
    if lead.id is None:
        return ()
    events = []
    for moved in uow.assignments.for_lead(lead.id)[1:]:
        events.append(f"↪ {moved.at:%H:%M} UTC: {moved.reason}")
    if lead.accepted_at is not None:
        events.append(f"👍 {lead.accepted_at:%H:%M} UTC: accepted by {desk.name(lead.owner_id)}")
    if lead.sla_worst >= 2 and lead.first_touch_at is None:
        events.append("⏰ Response time breached")
    if lead.sla_worst >= 3 and lead.first_touch_at is None:
        events.append("🚨 Escalated to the manager")
    if lead.first_touch_at is not None:
        took = lead.first_touch_at - (lead.sla_started_at or lead.created_at)
        events.append(f"✅ First touch after {describe_duration(took)}")
    return tuple(events)


def announce(
    uow: UnitOfWork,
    lead: Lead,
    card: LeadCard,
    *,
    team: Team | None,
    owner: Rep | None,
    policy: DeskPolicy,
    at: datetime,
    actor_id: int | None = None,
    words: str | None = None,
) -> None:
    """The channel alert (once per lead) and the owner's DM (once per owner).

    `words`: what the person last wrote, when the caller has it; else read from the timeline.
    """
    assert lead.id is not None
    to = policy.destinations.channel(team)
    if to is not None and lead.tier in policy.channel_tiers:
        _enqueue(uow, channel_key(lead.id), to.platform, to.target, lead_alert(card), lead, at)
    if owner is not None and owner.id is not None and owner.id != actor_id:
        dm = policy.destinations.dm(owner)
        text = their_words(uow, lead.id) if words is None else words
        message = lead_alert(replace(card, message_text=text), for_owner=True)
        quiet_until = next_working_moment(owner, at)
        _enqueue(
            uow, dm_key(lead.id, owner.id), dm.platform, dm.target, message, lead, at, quiet_until
        )


def refresh(
    uow: UnitOfWork,
    lead: Lead,
    card: LeadCard,
    *,
    team: Team | None,
    policy: DeskPolicy,
    at: datetime,
) -> None:
    """Edit the channel alert in place, if one went out; nothing when the lead was never announced."""
    assert lead.id is not None
    to = policy.destinations.channel(team)
    original = channel_key(lead.id)
    if to is None or not uow.outbox.exists(original):
        return
    uow.outbox.revise(
        key=f"{original}:edit",
        edit_of=original,
        platform=to.platform,
        target=to.target,
        payload=_payload(lead_alert(card), lead),
        at=at,
    )


def their_words(uow: UnitOfWork, lead_id: int) -> str:
    """What the person last wrote on a form (a note nobody on the team logged), for the owner."""
    notes = [
        a
        for a in uow.activities.for_leads([lead_id])
        if a.kind is ActivityKind.NOTE and a.rep_id is None
    ]
    return max(notes, key=lambda a: a.occurred_at).summary if notes else ""


def next_working_moment(rep: Rep, at: datetime) -> datetime:
    """`at` when the rep is at work, else the start of their next working time (quiet hours)."""
    if digest_due_date(rep, at) is not None:
        return at
    step = timedelta(seconds=1)
    return add_working_time(at, step, rep) - step


def _enqueue(
    uow: UnitOfWork,
    key: str,
    platform: str,
    target: str,
    message: Message,
    lead: Lead,
    at: datetime,
    not_before: datetime | None = None,
) -> None:
    uow.outbox.enqueue(
        key=key,
        platform=platform,
        target=target,
        payload=_payload(message, lead),
        at=at,
        not_before=not_before,
    )


def _payload(message: Message, lead: Lead) -> dict[str, object]:
    return {"kind": ALERT_KIND, "lead_id": lead.id, "message": message_to_dict(message)}
