"""The ranked action list: `/deals`, the morning digest and `dealbot digest` all come here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from core.action_effects import NO_EFFECTS, ActionEffects
from core.bulk_ranking import build_action_lists
from core.facts import DealFacts, LeadFacts, OpenDeals
from core.model import Action, Rep
from core.ports import ColumnForecaster, Forecaster, UnitOfWork
from core.ranking import OutlookColumns, build_action_list
from handlers.errors import UnknownRep
from handlers.learning_loop import load_action_effects


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
        leads = untouched(uow.leads.open_facts(owner_ids=[rep.id], at=at))
        hidden = uow.actions.hidden_subjects(rep_id=rep.id, at=at)
        effects = load_action_effects(uow)
        items = rank_facts(forecaster, deals, leads, hidden, limit, effects=effects)
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
        deals = uow.deals.open_deals(owner_ids=owners, at=at)
        leads = untouched(uow.leads.open_facts(owner_ids=owners, at=at))
        lists = build_action_lists(
            rep_ids=[r.id for r in reps if r.id is not None],
            deals=deals,
            deal_outlooks=_outlook_columns(forecaster, deals),
            leads=leads,
            lead_outlooks=forecaster.lead_outlooks(leads),
            quiet_after_days=forecaster.quiet_after_days(),
            hidden=uow.actions.hidden_by_rep(at=at, rep_ids=owners),
            limit=limit,
            effects=load_action_effects(uow),
        )
        if record:
            uow.actions.record_shown([a for items in lists.values() for a in items])
            uow.commit()
    return lists


def _outlook_columns(forecaster: Forecaster, deals: OpenDeals) -> OutlookColumns:
    if isinstance(forecaster, ColumnForecaster):
        return forecaster.deal_outlook_columns(deals)
    facts = [deals.facts(i) for i in range(len(deals))]
    outlooks = forecaster.deal_outlooks(facts)
    chosen = [outlooks[deal_id] for deal_id in deals.deal_id]
    return OutlookColumns([o.p_win for o in chosen], [o.expected_days for o in chosen])


def rank_facts(
    forecaster: Forecaster,
    deals: Sequence[DealFacts],
    leads: Sequence[LeadFacts],
    hidden: set[tuple[str, int]],
    limit: int,
    *,
    effects: ActionEffects = NO_EFFECTS,
) -> list[Action]:
    """The ranked items for these facts with the forecaster's outlooks (not recorded)."""
    return build_action_list(
        deals=deals,
        deal_outlooks=forecaster.deal_outlooks(deals),
        leads=leads,
        lead_outlooks=forecaster.lead_outlooks(leads),
        quiet_after_days=forecaster.quiet_after_days(),
        hidden=hidden,
        limit=limit,
        effects=effects,
    )


def untouched(leads: Sequence[LeadFacts]) -> list[LeadFacts]:
    """Leads still waiting for their first touch: the only leads a list shows."""
    return [f for f in leads if f.lead.first_touch_at is None]
