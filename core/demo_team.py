"""A believable demo sales team, the same every time for the same seed and the same `now`.

`dealbot seed` and `dealbot demo` write this into an empty database so the bot has something
true-looking to rank, route and remind about. Pure: one `random.Random(seed)`, times relative to
`now`, references between records as indexes into the lists here (the writer wires real ids).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from random import Random

from core.demo_deals import DemoDeal, StageStep, build_deals
from core.demo_leads import DemoLead, build_leads
from core.demo_org import (
    TEAMS,
    DemoAccount,
    DemoContact,
    DemoRep,
    build_accounts,
    build_contacts,
    build_reps,
)
from core.model import Team

__all__ = [
    "DemoAccount",
    "DemoContact",
    "DemoDeal",
    "DemoLead",
    "DemoRep",
    "DemoTeam",
    "StageStep",
    "generate_demo_team",
]


@dataclass(frozen=True, slots=True)
class DemoTeam:
    """Everything the seed writes. `DemoRep.team` indexes `teams`; other references index `reps`,
    `accounts` and `contacts`."""

    teams: tuple[Team, ...]
    reps: tuple[DemoRep, ...]
    accounts: tuple[DemoAccount, ...]
    contacts: tuple[DemoContact, ...]
    deals: tuple[DemoDeal, ...]
    leads: tuple[DemoLead, ...]


def generate_demo_team(
    *, seed: int, now: datetime, accounts: int = 40, deals: int = 300
) -> DemoTeam:
    """The org, accounts, contacts, deals with history and leads, as of `now` (aware UTC)."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime (UTC)")
    rng = Random(seed)
    reps = build_reps(rng, now)
    demo_accounts = build_accounts(rng, reps, accounts)
    contacts = build_contacts(rng, demo_accounts)
    return DemoTeam(
        teams=TEAMS,
        reps=tuple(reps),
        accounts=tuple(demo_accounts),
        contacts=tuple(contacts),
        deals=tuple(build_deals(rng, now, reps, demo_accounts, contacts, deals)),
        leads=tuple(build_leads(rng, now, reps)),
    )
