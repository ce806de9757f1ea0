"""`/deals`: the actor's ranked list (or a manager's team view), filtered and paged."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from core.action_messages import ListItem, action_list_message, digest_message
from core.commands import ListView, ShowActions
from core.facts import DealFacts, LeadFacts
from core.messages import Message
from core.model import Rep, Role
from core.permissions import team_of
from core.ports import UnitOfWork
from handlers.action_list import rank_facts, untouched
from handlers.deps import Deps, Reply
from handlers.errors import NotAllowed, UserError
from handlers.learning_loop import load_action_effects


class NotARep(UserError):
    def __init__(self) -> None:
        super().__init__(
            "You're not set up in dealbot yet, so there is no list for you. "
            "Ask your admin to add you as a rep (with the email your chat account uses)."
        )


def show_actions(command: ShowActions, deps: Deps) -> Reply:
    """One page of the actor's list; items shown are recorded for the learning loop."""
    at = deps.clock.now()
    with deps.uow_factory() as uow:
        actor = acting_rep(uow, command.actor_id)
        message = list_message(uow, deps, actor, command.view, at=at)
        uow.commit()
    return Reply(message=message)


def acting_rep(uow: UnitOfWork, actor_id: int) -> Rep:
    actor = uow.reps.get(actor_id)
    if actor is None or not actor.active:
        raise NotARep()
    return actor


def list_message(
    uow: UnitOfWork,
    deps: Deps,
    actor: Rep,
    view: ListView,
    *,
    at: datetime,
    notice: str | None = None,
) -> Message:
    """The list `view` describes, as of `at` (also used to redraw a list after a press)."""
    owners = _owners(uow, actor, view)
    size = deps.digest_size if view.digest else deps.page_size
    items, has_more = _ranked(uow, deps, owners, view, at=at, limit=view.page * size)
    if view.digest:
        open_deals = len(uow.deals.list_open(owner_ids=[actor.id or 0]))
        return digest_message(actor.name, items, open_deals=open_deals, notice=notice)
    heading = _heading(view)
    return action_list_message(
        items, view=view, page_size=size, has_more=has_more, heading=heading, notice=notice
    )


def _owners(uow: UnitOfWork, actor: Rep, view: ListView) -> dict[int, Rep]:
    if not view.team:
        return {actor.id or 0: actor}
    if actor.role is Role.REP:
        raise NotAllowed(
            "The team view is for managers. /deals shows your own list; "
            "ask your admin if you should have a manager role."
        )
    return {rep.id: rep for rep in team_of(actor, uow.reps.list()) if rep.id is not None}


def _ranked(
    uow: UnitOfWork,
    deps: Deps,
    owners: dict[int, Rep],
    view: ListView,
    *,
    at: datetime,
    limit: int,
) -> tuple[list[ListItem], bool]:
    """The first `limit` items (recorded as shown), and whether more follow."""
    ids = sorted(owners)
    deals = _matching_deals(uow.deals.open_facts(owner_ids=ids, at=at), view.query)
    leads = _matching_leads(uow.leads.open_facts(owner_ids=ids, at=at), view.query)
    hidden = {
        s for subjects in uow.actions.hidden_by_rep(at=at, rep_ids=ids).values() for s in subjects
    }
    effects = load_action_effects(uow)
    actions = rank_facts(deps.forecaster(), deals, leads, hidden, limit + 1, effects=effects)
    shown = uow.actions.record_shown(actions[:limit])
    stages = {f.deal.id: f.stage for f in deals}
    items = [
        ListItem(
            action,
            next_stages=deps.pipeline.next_stages(stages.get(action.subject_id, ""))
            if action.subject_type == "deal"
            else (),
            owner_name=owners[action.rep_id].name
            if view.team and action.rep_id in owners
            else None,
        )
        for action in shown
    ]
    return items, len(actions) > limit


def _matching_deals(facts: Sequence[DealFacts], query: str) -> list[DealFacts]:
    """Deals whose name, account or stage contains the query (all deals when it is empty)."""
    key = query.strip().lower()
    if not key:
        return list(facts)
    return [
        f
        for f in facts
        if key in f.deal.name.lower()
        or (f.account is not None and key in f.account.name.lower())
        or key in f.stage.lower()
    ]


def _matching_leads(facts: Sequence[LeadFacts], query: str) -> list[LeadFacts]:
    waiting = untouched(facts)
    key = query.strip().lower()
    if not key:
        return waiting
    return [
        f
        for f in waiting
        if key in f.lead.name.lower()
        or (f.lead.company is not None and key in f.lead.company.lower())
    ]


def _heading(view: ListView) -> str:
    whose = "Team actions" if view.team else "Your actions"
    return f"{whose} matching '{view.query}'" if view.query else whose
