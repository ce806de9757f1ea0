"""Lead intake: a form submission in, a scored, routed and announced lead out, in one transaction.

The webhook's delivery key is claimed first, in the same transaction as the lead: a repeated
delivery finds the key taken and answers with the lead the first one made, so a retry creates no
second lead and no second alert. The lead, its assignment, its clock and its alerts (outbox rows)
commit together before the webhook answers 202; a crash after that loses nothing, because the
delivery worker sends whatever the outbox holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from core.intake import LeadSubmission
from core.lead_scoring import LeadScore, score_lead
from core.model import Account, Activity, ActivityKind, Lead, LeadStatus
from core.ports import Assignment, UnitOfWork
from core.routing import Routing, route_lead
from handlers.directory import Desk
from handlers.lead_alerts import announce, first_name, lead_card, refresh
from handlers.lead_clock import with_clock
from handlers.lead_desk import DeskDeps, LeadFit, committed

KEY_PREFIX = "intake:lead:"


@dataclass(frozen=True, slots=True)
class IntakeResult:
    lead_id: int
    duplicate: bool = False
    created: bool = True
    tier: str | None = None
    score: int | None = None
    owner_id: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "lead_id": self.lead_id,
            "status": "duplicate" if self.duplicate else "accepted",
            "created": self.created,
            "tier": self.tier,
            "score": self.score,
            "owner_id": self.owner_id,
        }


def receive_lead(submission: LeadSubmission, deps: DeskDeps, *, delivery_key: str) -> IntakeResult:
    """Store, score, route and announce a submitted lead; a repeated delivery changes nothing."""
    return committed(deps, take_lead, submission, delivery_key)


def take_lead(
    uow: UnitOfWork,
    deps: DeskDeps,
    desk_of: Callable[[], Desk],
    submission: LeadSubmission,
    delivery_key: str,
) -> IntakeResult:
    """`receive_lead` inside the caller's transaction, which commits it (with others, perhaps).

    `desk_of` gives the desk, read when first needed and shared by the transaction's leads.
    """
    at = deps.clock.now()
    key = KEY_PREFIX + delivery_key
    if not uow.idempotency.claim(key, at=at):
        return _repeat(uow, key)
    lead, account, created = _match_or_create(uow, submission, at)
    model = deps.learned_fit()  # once: a model may appear meanwhile
    if created and model is not None:  # the learned fit reads the stored lead
        lead = uow.leads.add(lead)
    words = submission.message if submission.message.strip() else ""
    if words and not created:  # its card reads them from the timeline
        _record_words(uow, lead, submission, at, deps.surface)
    score = score_of(model, uow, deps, lead, account, at, fresh=created)
    desk = desk_of()
    if created or lead.tier is None:  # new, or known but never through intake (imported)
        # A lead made now has no note but the one the form brings, if any: its words.
        lead = _place(uow, deps, desk, lead, account, score, at, words=words if created else None)
    else:
        lead = rescore(uow, deps, desk, lead, score, at)
    if words and created:  # stored now, with its id
        _record_words(uow, lead, submission, at, deps.surface)
    uow.idempotency.set_result(key, f"lead:{lead.id}")
    return IntakeResult(lead.id, False, created, lead.tier, score.score, lead.owner_id)


def _repeat(uow: UnitOfWork, key: str) -> IntakeResult:
    result = uow.idempotency.result(key) or ""
    lead_id = int(result.removeprefix("lead:")) if result.startswith("lead:") else 0
    lead = uow.leads.get(lead_id) if lead_id else None
    if lead is None:
        return IntakeResult(lead_id, duplicate=True, created=False)
    score = round(lead.score) if lead.score is not None else None
    return IntakeResult(lead_id, True, False, lead.tier, score, lead.owner_id)


def _match_or_create(
    uow: UnitOfWork, form: LeadSubmission, at: datetime
) -> tuple[Lead, Account | None, bool]:
    """The lead this person already is (external id, else an open lead with their email), or a
    new one, not stored yet (stored once it is placed); with the lead's account."""
    existing = None
    if form.external_id:
        existing = uow.leads.find(external_id=form.external_id)
    if existing is None and form.email_key:
        existing = uow.leads.find_open(email=form.email_key)
    account = _account_of(uow, form)
    if existing is not None:
        lead = uow.leads.update(_merged(existing, form, account))
        if account is None or account.id != lead.account_id:  # it had one of its own
            account = uow.accounts.get(lead.account_id) if lead.account_id is not None else None
        return lead, account, False
    lead = Lead(
        name=form.display_name(),
        created_at=form.submitted_at if form.submitted_at and form.submitted_at < at else at,
        external_id=form.external_id,
        email=form.email_key,
        company=form.company,
        domain=form.domain_key,
        phone=form.phone,
        source=form.source,
        account_id=account.id if account else None,
        attributes=form.attributes(),
    )
    return lead, account, True


def _account_of(uow: UnitOfWork, form: LeadSubmission) -> Account | None:
    """The account by the contact's email, else by company domain (never a free-mail domain)."""
    if form.email_key:
        contact = uow.contacts.find(email=form.email_key)
        if contact is not None and contact.account_id is not None:
            return uow.accounts.get(contact.account_id)
    if form.domain_key:
        return uow.accounts.find(domain=form.domain_key)
    return None


def _merged(lead: Lead, form: LeadSubmission, account: Account | None) -> Lead:
    """A returning person: fill what was missing, newer custom fields win, the name stays."""
    return replace(
        lead,
        email=lead.email or form.email_key,
        company=lead.company or form.company,
        domain=lead.domain or form.domain_key,
        phone=lead.phone or form.phone,
        source=lead.source or form.source,
        account_id=lead.account_id or (account.id if account else None),
        attributes={**lead.attributes, **form.attributes()},
    )


def _record_words(
    uow: UnitOfWork, lead: Lead, form: LeadSubmission, at: datetime, surface: str
) -> None:
    """The person's message joins the lead's timeline as a note (quoted later, never obeyed)."""
    assert lead.id is not None
    note = Activity(ActivityKind.NOTE, at, lead_id=lead.id, summary=form.message, surface=surface)
    uow.activities.add(note)


def score_of(
    model: LeadFit | None,
    uow: UnitOfWork,
    deps: DeskDeps,
    lead: Lead,
    account: Account | None,
    at: datetime,
    *,
    fresh: bool = False,
) -> LeadScore:
    """The lead's score now: the learned fit when there is a learned lead `model` (a lead not
    stored yet has none), else the rules.

    `fresh`: the lead was created in this transaction, so it has no signals yet.
    """
    learned = None
    if model is not None:
        assert lead.id is not None, "the learned fit reads a stored lead"
        facts = uow.leads.facts_for([lead.id], at=at)
        learned = model(facts[0]) if facts else None
    signals = [] if fresh or lead.id is None else uow.signals.for_leads([lead.id])
    return score_lead(
        lead, signals, deps.policy.scoring, at=at, account=account, learned_fit=learned
    )


def _place(
    uow: UnitOfWork,
    deps: DeskDeps,
    desk: Desk,
    lead: Lead,
    account: Account | None,
    score: LeadScore,
    at: datetime,
    *,
    words: str | None,
) -> Lead:
    """Route a new lead, start its clock, store it, record the assignment and queue its alerts.

    `words`: what the person wrote, for a lead created in this transaction; None for one
    stored earlier (an imported lead placed late), whose card reads its history.
    """
    fresh = words is not None
    policy = deps.policy
    tier = score.tier.value
    routing = _route(uow, deps, desk, lead, account, tier, at)
    owner = desk.rep(routing.owner_id)
    lead = _scored(lead, score)
    lead = replace(
        lead,
        owner_id=routing.owner_id,
        assigned_at=at if owner else None,
        routing_rule=routing.rule,
        routing_reason=routing.reason,
        team_id=owner.team_id if owner else None,
    )
    lead = with_clock(lead, deps.policy, owner, at)
    lead = uow.leads.add(lead) if lead.id is None else uow.leads.update(lead)
    assigned = owner is not None and owner.id is not None and lead.id is not None
    if owner is not None and owner.id is not None and lead.id is not None:
        uow.assignments.add(Assignment(lead.id, owner.id, tier, routing.rule, routing.reason, at))
    card = lead_card(uow, lead, desk, policy, at, fresh=fresh, account=account)
    team = desk.team_for(lead, policy.default_team)
    announce(uow, lead, card, team=team, owner=owner, policy=policy, at=at, words=words)
    if assigned:  # the next lead of this transaction, if any, counts this assignment
        desk.forget_loads()
    return lead


def _route(
    uow: UnitOfWork,
    deps: DeskDeps,
    desk: Desk,
    lead: Lead,
    account: Account | None,
    tier: str,
    at: datetime,
) -> Routing:
    """The routing rules' choice; a lead someone already owns (an imported one) stays theirs."""
    current = desk.rep(lead.owner_id)
    if current is not None and current.active:
        reason = f"{first_name(current)}: already owns this lead"
        return Routing(current.id, "current owner", reason, ())
    return route_lead(
        lead,
        tier=tier,
        account=account,
        reps=desk.active,
        loads=desk.loads(uow, deps.policy.routing, at),
        policy=deps.policy.routing,
        at=at,
    )


def _scored(lead: Lead, score: LeadScore) -> Lead:
    return replace(
        lead, score=float(score.score), tier=score.tier.value, score_reasons=score.reasons
    )


TIER_ORDER = {"cold": 0, "warm": 1, "hot": 2}


def rescore(
    uow: UnitOfWork, deps: DeskDeps, desk: Desk, lead: Lead, score: LeadScore, at: datetime
) -> Lead:
    """A known lead submitted again or showing new signals: new score; hotter means a new clock.

    A lead that turns hot before anyone touched it deserves the hot response time from now on,
    so its clock restarts for the new tier (the old clock's levels keep their keys; the new
    clock's levels have new ones). Its channel alert is edited, never posted again.
    """
    before = lead.tier
    lead = _scored(lead, score)
    hotter = TIER_ORDER.get(lead.tier or "", 0) > TIER_ORDER.get(before or "", -1)
    open_lead = lead.status in (LeadStatus.NEW, LeadStatus.WORKING)
    if hotter and open_lead and lead.first_touch_at is None and before is not None:
        lead = with_clock(lead, deps.policy, desk.rep(lead.owner_id), at)
    lead = uow.leads.update(lead)
    if before is not None:
        card = lead_card(uow, lead, desk, deps.policy, at)
        team = desk.team_for(lead, deps.policy.default_team)
        refresh(uow, lead, card, team=team, policy=deps.policy, at=at)
    return lead
