"""Behaviour signals in: each joins its lead's timeline (or its account's) and rescores the lead.

Each event is once-only by its own id (or the delivery key and its place in the batch). A lead
whose score crosses into a hotter tier before anyone touched it gets the hotter response clock
from now on, and its channel alert is edited to say so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from core.intake import SignalEvent
from core.model import Lead, LeadStatus, Signal
from core.ports import UnitOfWork
from handlers.directory import Desk
from handlers.intake import rescore, score_of
from handlers.lead_desk import DeskDeps, committed

KEY_PREFIX = "intake:signal:"


@dataclass(frozen=True, slots=True)
class SignalsResult:
    received: int = 0
    duplicates: int = 0
    matched_leads: int = 0
    matched_accounts: int = 0
    unmatched: int = 0
    rescored: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "received": self.received,
            "duplicates": self.duplicates,
            "matched_leads": self.matched_leads,
            "matched_accounts": self.matched_accounts,
            "unmatched": self.unmatched,
            "rescored_leads": list(self.rescored),
        }


def receive_signals(
    events: Sequence[SignalEvent], deps: DeskDeps, *, delivery_key: str
) -> SignalsResult:
    """Store new events against their lead or account, then rescore the leads they touched."""
    return committed(deps, take_signals, events, delivery_key)


def take_signals(
    uow: UnitOfWork,
    deps: DeskDeps,
    desk_of: Callable[[], Desk],
    events: Sequence[SignalEvent],
    delivery_key: str,
) -> SignalsResult:
    """`receive_signals` inside the caller's transaction, which commits it.

    `desk_of` gives the desk, read only when a lead is rescored.
    """
    at = deps.clock.now()
    counts = {"dup": 0, "lead": 0, "account": 0, "none": 0}
    touched: dict[int, Lead] = {}
    for place, event in enumerate(events):
        key = KEY_PREFIX + (event.event_id or f"{delivery_key}:{place}")
        if not uow.idempotency.claim(key, at=at):
            counts["dup"] += 1
            continue
        lead = _lead_of(uow, event)
        account_id = lead.account_id if lead else _account_id(uow, event)
        if lead is None and account_id is None:
            counts["none"] += 1
            continue
        counts["lead" if lead else "account"] += 1
        uow.signals.add(_signal(event, lead, account_id, at))
        if lead is not None and lead.id is not None:
            touched[lead.id] = lead
    rescored = _rescore(uow, deps, desk_of, list(touched.values()), at)
    return SignalsResult(
        received=len(events),
        duplicates=counts["dup"],
        matched_leads=counts["lead"],
        matched_accounts=counts["account"],
        unmatched=counts["none"],
        rescored=rescored,
    )


def _lead_of(uow: UnitOfWork, event: SignalEvent) -> Lead | None:
    if event.lead_external_id:
        lead = uow.leads.find(external_id=event.lead_external_id)
        if lead is not None:
            return lead
    if event.email_key:
        return uow.leads.find_open(email=event.email_key)
    return None


def _account_id(uow: UnitOfWork, event: SignalEvent) -> int | None:
    if not event.domain_key:
        return None
    account = uow.accounts.find(domain=event.domain_key)
    return account.id if account else None


def _signal(event: SignalEvent, lead: Lead | None, account_id: int | None, at: datetime) -> Signal:
    return Signal(
        kind=event.kind,
        occurred_at=min(event.occurred_at, at),
        weight=event.weight,
        lead_id=lead.id if lead else None,
        account_id=account_id,
        detail=event.detail,
    )


def _rescore(
    uow: UnitOfWork, deps: DeskDeps, desk_of: Callable[[], Desk], leads: list[Lead], at: datetime
) -> tuple[int, ...]:
    open_leads = [lead for lead in leads if lead.status in (LeadStatus.NEW, LeadStatus.WORKING)]
    if not open_leads:
        return ()
    desk = desk_of()
    done = []
    for lead in open_leads:
        account = uow.accounts.get(lead.account_id) if lead.account_id is not None else None
        score = score_of(deps.learned_fit(), uow, deps, lead, account, at)
        rescore(uow, deps, desk, lead, score, at)
        if lead.id is not None:
            done.append(lead.id)
    return tuple(done)
