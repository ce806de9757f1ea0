"""Ranked lists for the reps whose digest is due, in one load and one batched prediction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from core.facts import DealFacts, LeadFacts
from core.model import Action, Rep
from core.ports import Forecaster, UnitOfWork
from core.ranking import build_action_list
from handlers.action_list import untouched
from handlers.learning_loop import load_action_effects


@dataclass(frozen=True, slots=True)
class RankedList:
    """One rep's top actions, with what the digest says around them."""

    actions: list[Action]
    open_deals: int
    deal_stages: dict[int, str] = field(default_factory=dict)
    """Current stage of each open deal, keyed by deal id (for the Advance stage choices)."""


def ranked_lists(
    uow: UnitOfWork, forecaster: Forecaster, reps: Sequence[Rep], *, at: datetime, limit: int
) -> dict[int, RankedList]:
    """Each rep's list as of `at` inside the caller's unit of work; nothing is recorded here."""
    owners = sorted({rep.id for rep in reps if rep.id is not None})
    if not owners:
        return {}
    deals = uow.deals.open_facts(owner_ids=owners, at=at)
    leads = untouched(uow.leads.open_facts(owner_ids=owners, at=at))
    deal_outlooks = forecaster.deal_outlooks(deals)
    lead_outlooks = forecaster.lead_outlooks(leads)
    quiet = forecaster.quiet_after_days()
    hidden = uow.actions.hidden_by_rep(at=at, rep_ids=owners)
    effects = load_action_effects(uow)
    deals_by_rep = _deals_by_owner(deals)
    leads_by_rep = _leads_by_owner(leads)
    lists: dict[int, RankedList] = {}
    for rep_id in owners:
        own_deals = deals_by_rep.get(rep_id, [])
        actions = build_action_list(
            deals=own_deals,
            deal_outlooks=deal_outlooks,
            leads=leads_by_rep.get(rep_id, []),
            lead_outlooks=lead_outlooks,
            quiet_after_days=quiet,
            hidden=hidden.get(rep_id, set()),
            limit=limit,
            effects=effects,
        )
        stages = {f.deal.id: f.stage for f in own_deals if f.deal.id is not None}
        lists[rep_id] = RankedList(actions, len(own_deals), stages)
    return lists


def _deals_by_owner(facts: Sequence[DealFacts]) -> dict[int, list[DealFacts]]:
    grouped: dict[int, list[DealFacts]] = {}
    for f in facts:
        if f.deal.owner_id is not None:
            grouped.setdefault(f.deal.owner_id, []).append(f)
    return grouped


def _leads_by_owner(facts: Sequence[LeadFacts]) -> dict[int, list[LeadFacts]]:
    grouped: dict[int, list[LeadFacts]] = {}
    for f in facts:
        if f.lead.owner_id is not None:
            grouped.setdefault(f.lead.owner_id, []).append(f)
    return grouped
