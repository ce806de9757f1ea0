"""`dealbot seed`: write the demo team into an empty database, in one transaction.

The demo is generated in `core.demo_team` with local references; this writes it through the
repositories in dependency order and swaps each reference for the id the database gave back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from core.demo_team import DemoDeal, DemoLead, DemoRep, DemoTeam, generate_demo_team
from core.model import DealStatus, LeadStatus, StageChange
from core.ports import UnitOfWork
from handlers.errors import UserError


class DatabaseNotEmpty(UserError):
    def __init__(self) -> None:
        super().__init__(
            "The demo seed needs an empty database, and this one already has reps or accounts, so "
            "nothing was written. Point DATABASE_URL at a new file (for example "
            "sqlite:///dealbot-demo.db) and run `dealbot seed` again."
        )


@dataclass(frozen=True, slots=True)
class SeedSummary:
    teams: int
    reps: int
    accounts: int
    contacts: int
    deals: int
    open_deals: int
    stage_changes: int
    activities: int
    leads: int
    open_leads: int
    signals: int

    def describe(self) -> str:
        """One line for the CLI."""
        return (
            f"Seeded {self.reps} reps in {self.teams} teams, {self.accounts} accounts, "
            f"{self.contacts} contacts, {self.deals} deals ({self.open_deals} open), "
            f"{self.activities} activities, {self.leads} leads ({self.open_leads} open), "
            f"{self.signals} signals."
        )


def seed_demo(uow_factory: Callable[[], UnitOfWork], *, seed: int, now: datetime) -> SeedSummary:
    """Write the demo team for `seed` as of `now`; refuses a database that already has people."""
    demo = generate_demo_team(seed=seed, now=now)
    with uow_factory() as uow:
        if uow.reps.list(active_only=False) or uow.accounts.list():
            raise DatabaseNotEmpty()
        _write(uow, demo)
        uow.commit()
    return summarise(demo)


def _write(uow: UnitOfWork, demo: DemoTeam) -> None:
    team_ids = [_id(uow.teams.add(team).id) for team in demo.teams]
    rep_ids = _write_reps(uow, demo.reps, team_ids)
    account_ids = [
        _id(uow.accounts.add(replace(a.account, owner_id=rep_ids[a.owner])).id)
        for a in demo.accounts
    ]
    contact_ids = [
        _id(uow.contacts.add(replace(c.contact, account_id=account_ids[c.account])).id)
        for c in demo.contacts
    ]
    for deal in demo.deals:
        _write_deal(
            uow, deal, rep_ids[deal.owner], account_ids[deal.account], contact_ids[deal.contact]
        )
    for lead in demo.leads:
        _write_lead(uow, lead, rep_ids[lead.owner] if lead.owner is not None else None)


def _write_reps(uow: UnitOfWork, reps: Sequence[DemoRep], team_ids: list[int]) -> list[int]:
    """Add everyone, then point reps at their managers (a manager may come later in the list)."""
    added = [
        uow.reps.add(replace(r.rep, team_id=team_ids[r.team] if r.team is not None else None))
        for r in reps
    ]
    ids = [_id(rep.id) for rep in added]
    for demo, rep in zip(reps, added, strict=True):
        if demo.manager is not None:
            uow.reps.update(replace(rep, manager_id=ids[demo.manager]))
    return ids


def _write_deal(
    uow: UnitOfWork, demo: DemoDeal, owner_id: int, account_id: int, contact_id: int
) -> None:
    deal = demo.deal
    next_action = replace(deal.next_action, owner_id=owner_id) if deal.next_action else None
    deal_id = _id(
        uow.deals.add(
            replace(
                deal,
                owner_id=owner_id,
                account_id=account_id,
                contact_id=contact_id,
                next_action=next_action,
            )
        ).id
    )
    for step in demo.stages:
        uow.deals.add_stage_change(StageChange(deal_id, step.to_stage, step.at, step.from_stage))
    for activity in demo.activities:
        uow.activities.add(replace(activity, deal_id=deal_id, rep_id=owner_id))
    for signal in demo.signals:
        uow.signals.add(replace(signal, deal_id=deal_id, account_id=account_id))


def _write_lead(uow: UnitOfWork, demo: DemoLead, owner_id: int | None) -> None:
    lead_id = _id(uow.leads.add(replace(demo.lead, owner_id=owner_id)).id)
    for activity in demo.activities:
        uow.activities.add(replace(activity, lead_id=lead_id, rep_id=owner_id))
    for signal in demo.signals:
        uow.signals.add(replace(signal, lead_id=lead_id))


def _id(value: int | None) -> int:
    if value is None:
        raise RuntimeError("the repository returned a record without an id")
    return value


def summarise(demo: DemoTeam) -> SeedSummary:
    """Counts of what `seed_demo` writes for this demo team."""
    return SeedSummary(
        teams=len(demo.teams),
        reps=len(demo.reps),
        accounts=len(demo.accounts),
        contacts=len(demo.contacts),
        deals=len(demo.deals),
        open_deals=sum(1 for d in demo.deals if d.deal.status is DealStatus.OPEN),
        stage_changes=sum(len(d.stages) for d in demo.deals),
        activities=sum(len(d.activities) for d in demo.deals)
        + sum(len(lead.activities) for lead in demo.leads),
        leads=len(demo.leads),
        open_leads=sum(
            1 for lead in demo.leads if lead.lead.status in (LeadStatus.NEW, LeadStatus.WORKING)
        ),
        signals=sum(len(d.signals) for d in demo.deals)
        + sum(len(lead.signals) for lead in demo.leads),
    )
