"""Where a deal stands, read for the drafter: stage, next step, contact, account, recent touches.

Touches on the deal and on the lead behind its contact (the person's own words from a web form
among them) are merged newest first. All of it goes to the model only inside the data block.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from core.draft_prompt import MAX_TOUCHES, DraftFacts, Touch
from core.drafts import Draft
from core.model import Activity, Rep
from core.money import format_amount
from core.ports import UnitOfWork
from core.schedule import local_now


@dataclass(frozen=True, slots=True)
class DealContext:
    facts: DraftFacts
    deal_name: str
    to_email: str | None


def deal_context(uow: UnitOfWork, draft: Draft, *, at: datetime) -> DealContext:
    """The facts for `draft`'s deal as of `at`, its name, and the contact's email."""
    deal = uow.deals.get(draft.deal_id)
    if deal is None:
        raise LookupError(f"deal {draft.deal_id} of draft {draft.id} is gone")
    account = uow.accounts.get(deal.account_id) if deal.account_id else None
    contact = uow.contacts.get(deal.contact_id) if deal.contact_id else None
    rep = uow.reps.get(draft.rep_id)
    touches = list(uow.activities.for_deals([deal.id or 0]))
    lead = uow.leads.find(email=contact.email) if contact and contact.email else None
    if lead is not None and lead.id is not None:
        touches += uow.activities.for_leads([lead.id])
    touches.sort(key=lambda a: a.occurred_at, reverse=True)
    past = [a for a in touches if a.occurred_at <= at][:MAX_TOUCHES]
    day = _local_day(rep)
    facts = DraftFacts(
        deal=deal.name,
        stage=deal.stage,
        rep=rep.name if rep else "",
        today=day(at),
        account=account.name if account else None,
        industry=account.industry if account else None,
        contact=contact.name if contact else None,
        contact_title=contact.title if contact else None,
        amount=format_amount(deal.amount, deal.currency) if deal.amount else None,
        next_step=deal.next_action.text if deal.next_action else None,
        next_step_due=deal.next_action.due if deal.next_action else None,
        touches=tuple(_touch(a, day(a.occurred_at)) for a in past),
    )
    return DealContext(facts, deal.name, contact.email if contact else None)


def _local_day(rep: Rep | None) -> Callable[[datetime], date]:
    """The date on the rep's calendar: "today" and "yesterday" are theirs, not UTC's (at 19:00
    in Los Angeles it is already tomorrow in UTC, and a due date would read as a day off)."""
    if rep is None:
        return lambda at: at.date()
    return lambda at: local_now(rep, at).date()


def _touch(activity: Activity, on: date) -> Touch:
    return Touch(
        on=on,
        kind=activity.kind.value,
        gist=activity.summary,
        outcome=activity.outcome,
    )
