"""The ranked action list: `/deals`, the morning digest and `dealbot digest` all come here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from core.facts import DealFacts, LeadFacts
from core.model import Action, Rep
from core.ports import Forecaster, UnitOfWork
from core.ranking import build_action_list
from handlers.errors import UnknownRep

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ActionList:
    rep: Rep
    at: datetime
    items: list[Action]
    open_deals: int
    open_leads: int
    factors: dict[str, list[str]] = field(default_factory=dict)
    """Top factors behind each shown deal's win probability, keyed by action id."""


def ranked_actions(
    uow_factory: Callable[[], UnitOfWork],
    forecaster: Forecaster,
    *,
    rep_email: str,
    at: datetime,
    limit: int = 10,
    record: bool = True,
) -> ActionList:
    """One rep's ranked list as of `at`; the items shown are recorded for the learning loop."""
    with uow_factory() as uow:
        rep = uow.reps.by_email(rep_email)
        if rep is None or rep.id is None:
            raise UnknownRep(rep_email)
        deals = uow.deals.open_facts(owner_ids=[rep.id], at=at)
        leads = _untouched(uow.leads.open_facts(owner_ids=[rep.id], at=at))
        hidden = uow.actions.hidden_subjects(rep_id=rep.id, at=at)
        items = _rank(forecaster, deals, leads, hidden, limit)
        if record:
            uow.actions.record_shown(items)
            uow.commit()
    by_id = {f.deal.id: f for f in deals}
    factors = {
        str(a.id): forecaster.explain_deal(by_id[a.subject_id])
        for a in items
        if a.subject_type == "deal" and a.subject_id in by_id
    }
    return ActionList(rep, at, items, len(deals), len(leads), factors)


def ranked_actions_for_all(
    uow_factory: Callable[[], UnitOfWork],
    forecaster: Forecaster,
    *,
    at: datetime,
    limit: int = 10,
    record: bool = True,
    rep_ids: Sequence[int] | None = None,
) -> dict[int, list[Action]]:
    """Every active rep's list (or these reps') in one pass: one load, one batched prediction."""
    with uow_factory() as uow:
        reps = [r for r in uow.reps.list() if r.id is not None]
        if rep_ids is not None:
            wanted = set(rep_ids)
            reps = [r for r in reps if r.id in wanted]
        owners = None if rep_ids is None else [r.id for r in reps if r.id is not None]
        deals = uow.deals.open_facts(owner_ids=owners, at=at)
        leads = _untouched(uow.leads.open_facts(owner_ids=owners, at=at))
        deal_outlooks = forecaster.deal_outlooks(deals)
        lead_outlooks = forecaster.lead_outlooks(leads)
        quiet = forecaster.quiet_after_days()
        hidden = uow.actions.hidden_by_rep(at=at, rep_ids=owners)
        deals_by_rep = _by_owner(deals, lambda f: f.deal.owner_id)
        leads_by_rep = _by_owner(leads, lambda f: f.lead.owner_id)
        lists: dict[int, list[Action]] = {}
        for rep in reps:
            assert rep.id is not None
            lists[rep.id] = build_action_list(
                deals=deals_by_rep.get(rep.id, []),
                deal_outlooks=deal_outlooks,
                leads=leads_by_rep.get(rep.id, []),
                lead_outlooks=lead_outlooks,
                quiet_after_days=quiet,
                hidden=hidden.get(rep.id, set()),
                limit=limit,
            )
        if record:
            uow.actions.record_shown([a for items in lists.values() for a in items])
            uow.commit()
    return lists


def _rank(
    forecaster: Forecaster,
    deals: Sequence[DealFacts],
    leads: Sequence[LeadFacts],
    hidden: set[tuple[str, int]],
    limit: int,
) -> list[Action]:
    return build_action_list(
        deals=deals,
        deal_outlooks=forecaster.deal_outlooks(deals),
        leads=leads,
        lead_outlooks=forecaster.lead_outlooks(leads),
        quiet_after_days=forecaster.quiet_after_days(),
        hidden=hidden,
        limit=limit,
    )


def _untouched(leads: Sequence[LeadFacts]) -> list[LeadFacts]:
    return [f for f in leads if f.lead.first_touch_at is None]


def _by_owner(items: Sequence[T], owner: Callable[[T], int | None]) -> dict[int, list[T]]:
    grouped: dict[int, list[T]] = {}
    for item in items:
        key = owner(item)
        if key is not None:
            grouped.setdefault(key, []).append(item)
    return grouped
