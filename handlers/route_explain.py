"""Whom the routing rules would give a lead now, and why: `dealbot route --explain`, read only.

The lead is scored as it stands and routed with today's loads exactly as intake would route it,
but the unit of work is never committed: an explanation leaves no assignment, no alert and no
clock behind, so it is safe to ask about a live lead at any time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from core.identity import normalise_email
from core.ids import parse_id
from core.model import Lead, Rep
from core.ports import UnitOfWork
from core.routing import RepLoad, Routing, eligible_reps, route_lead
from handlers.errors import UserError
from handlers.intake import score_of
from handlers.lead_desk import DeskDeps
from handlers.load_windows import rep_loads


@dataclass(frozen=True, slots=True)
class RouteExplanation:
    lead: Lead
    at: datetime
    tier: str
    score: int
    score_reasons: tuple[str, ...]
    routing: Routing
    owner: Rep | None
    """Whom the rules pick now; None means the lead would wait in the queue."""
    current_owner: Rep | None
    """Who owns the lead today (intake keeps an owned lead with its owner)."""
    eligible: tuple[Rep, ...]
    """Reps who could take it now, fairest first: the pool routing draws from, of every team."""
    loads: Mapping[int, RepLoad]
    fairness_days: int
    """The window round-robin's `recent` loads count over."""
    not_reached: tuple[str, ...]
    """Rules after the deciding one, which routing never tried."""


def explain_route(deps: DeskDeps, lead_ref: str) -> RouteExplanation:
    """Score and route a lead (by id, external id or email) as intake would now; writes nothing."""
    at = deps.clock.now()
    policy = deps.policy.routing
    with deps.uow_factory() as uow:  # read only: never committed
        lead = find_lead(uow, lead_ref)
        account = uow.accounts.get(lead.account_id) if lead.account_id is not None else None
        score = score_of(deps.learned_fit(), uow, deps, lead, account, at)
        everyone = {rep.id: rep for rep in uow.reps.list(active_only=False)}
        active = [rep for rep in everyone.values() if rep.active]
        loads = rep_loads(uow, active, policy, at)
        tier = score.tier.value
        routing = route_lead(
            lead, tier=tier, account=account, reps=active, loads=loads, policy=policy, at=at
        )
        eligible = eligible_reps(
            lead, tier=tier, account=account, reps=active, loads=loads, policy=policy, at=at
        )
    tried = {step.rule for step in routing.steps}
    return RouteExplanation(
        lead=lead,
        at=at,
        tier=tier,
        score=score.score,
        score_reasons=score.reasons,
        routing=routing,
        owner=everyone.get(routing.owner_id) if routing.owner_id is not None else None,
        current_owner=everyone.get(lead.owner_id) if lead.owner_id is not None else None,
        eligible=tuple(eligible),
        loads=loads,
        fairness_days=policy.fairness_days,
        not_reached=tuple(rule.name for rule in policy.rules if rule.name not in tried),
    )


def find_lead(uow: UnitOfWork, lead_ref: str) -> Lead:
    """The one lead a person means by an id, an external id or an email; else an actionable error.

    An email means the person's open lead (as intake matches them), or their closed one when
    nothing is open.
    """
    ref = lead_ref.strip()
    if not ref:
        raise UserError("Name a lead: its id, its external id or the person's email.")
    found: dict[int, Lead] = {}
    if (lead_id := parse_id(ref)) is not None and (by_id := uow.leads.get(lead_id)) is not None:
        found[lead_id] = by_id
    if (by_external := uow.leads.find(external_id=ref)) is not None:
        found.setdefault(by_external.id or 0, by_external)
    for lead in _by_email(uow, normalise_email(ref)):
        found.setdefault(lead.id or 0, lead)
    if not found:
        raise UserError(
            f"No lead with the id, external id or email '{ref}'. "
            "`dealbot model score leads --out leads.csv` lists every lead's id and external id."
        )
    if len(found) > 1:
        matches = ", ".join(f"#{lead.id} {lead.name} ({lead.status})" for lead in found.values())
        raise UserError(
            f"'{ref}' matches {len(found)} leads: {matches}. Give the lead id, e.g. {min(found)}."
        )
    return next(iter(found.values()))


def _by_email(uow: UnitOfWork, email: str | None) -> list[Lead]:
    if email is None or uow.leads.find(email=email) is None:
        return []
    open_leads = [lead for lead in uow.leads.list_open() if lead.email == email]
    return open_leads or [lead for lead in uow.leads.list_closed() if lead.email == email]
