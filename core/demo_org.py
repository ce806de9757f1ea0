"""The demo sales org: two teams, reps in several time zones, and the accounts they own.

Values carry local references (indexes into the demo's own lists) instead of database ids, so
the seed handler can write them in order and wire the ids it gets back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from random import Random
from zoneinfo import ZoneInfo

from core.demo_vocab import (
    COMPANY_STEMS,
    CONTACT_TITLES,
    FIRST_NAMES,
    INDUSTRY_SUFFIXES,
    LAST_NAMES,
    REGION_PEOPLE,
    REGION_WEIGHTS,
    SELLER_DOMAIN,
    TECH_STACKS,
)
from core.model import Account, Contact, Rep, Role, Team

SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
TEAMS = (
    Team("Americas", alert_channel="#sales-americas"),
    Team("EMEA/APAC", alert_channel="#sales-emea-apac", hot_lead_sla_minutes=10),
)


@dataclass(frozen=True, slots=True)
class DemoRep:
    rep: Rep
    team: int | None
    manager: int | None


@dataclass(frozen=True, slots=True)
class DemoAccount:
    account: Account
    owner: int
    segment: str


@dataclass(frozen=True, slots=True)
class DemoContact:
    contact: Contact
    account: int


# name, time zone, role, team, territories, segments
_ROSTER: tuple[tuple[str, str, Role, int | None, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Dana Whitfield", "America/New_York", Role.MANAGER, 0, (), ()),
    ("Henrik Larsen", "Europe/London", Role.MANAGER, 1, (), ()),
    ("Sam Okoro", "America/New_York", Role.ADMIN, None, (), ()),
    ("Marcus Reyes", "America/New_York", Role.REP, 0, ("US-East",), ("Mid-Market", "Enterprise")),
    (
        "Priya Natarajan",
        "America/New_York",
        Role.REP,
        0,
        ("US-East", "US-Central"),
        ("SMB", "Mid-Market"),
    ),
    ("Jordan Ellis", "America/Chicago", Role.REP, 0, ("US-Central", "LATAM"), SEGMENTS),
    (
        "Sofia Alvarez",
        "America/Los_Angeles",
        Role.REP,
        0,
        ("US-West",),
        ("Mid-Market", "Enterprise"),
    ),
    ("Tyler Brooks", "America/Los_Angeles", Role.REP, 0, ("US-West", "LATAM"), ("SMB",)),
    ("Olivia Hartley", "Europe/London", Role.REP, 1, ("UK&I",), ("Enterprise",)),
    ("Tom Fairbanks", "Europe/London", Role.REP, 1, ("UK&I", "Benelux"), ("SMB", "Mid-Market")),
    ("Lena Vogel", "Europe/Berlin", Role.REP, 1, ("DACH",), SEGMENTS),
    (
        "Erik Lindgren",
        "Europe/Berlin",
        Role.REP,
        1,
        ("Nordics", "Benelux", "DACH"),
        ("SMB", "Mid-Market"),
    ),
    ("Wei Ling Tan", "Asia/Singapore", Role.REP, 1, ("SEA", "ANZ"), SEGMENTS),
)


def build_reps(rng: Random, now: datetime) -> list[DemoRep]:
    """The roster with per-person hours, capacity and a little calendar life (a holiday, leave)."""
    managers = {
        team: i for i, (_, _, role, team, _, _) in enumerate(_ROSTER) if role is Role.MANAGER
    }
    reps = []
    for i, (name, zone, role, team, territories, segments) in enumerate(_ROSTER):
        start = rng.choice((time(8, 0), time(8, 30), time(9, 0)))
        daily = rng.randint(15, 28) if role is Role.REP else 10
        rep = Rep(
            email=email_for(name, SELLER_DOMAIN),
            name=name,
            time_zone=zone,
            role=role,
            working_days=(0, 1, 2, 3) if name == "Tom Fairbanks" else (0, 1, 2, 3, 4),
            work_start=start,
            work_end=time(start.hour + 9, start.minute),
            holidays=_holidays(rng, now) if rng.random() < 0.3 else (),
            territories=territories,
            segments=segments,
            daily_capacity=daily,
            weekly_capacity=daily * 4 + rng.randint(0, 10),
            out_of_office_until=now + timedelta(days=2) if name == "Erik Lindgren" else None,
            slack_user_id=f"UDEMO{i:04d}",
        )
        manager = managers.get(team) if role is Role.REP and team is not None else None
        reps.append(DemoRep(rep, team, manager))
    return reps


def _holidays(rng: Random, now: datetime) -> tuple[date, ...]:
    return (now.date() + timedelta(days=rng.randint(5, 40)),)


def email_for(name: str, domain: str) -> str:
    parts = name.lower().replace("'", "").split()
    return f"{parts[0]}.{parts[-1]}@{domain}"


def build_accounts(rng: Random, reps: list[DemoRep], count: int = 40) -> list[DemoAccount]:
    """`count` invented companies, each owned by a rep whose territory and segment fit."""
    stems = rng.sample(COMPANY_STEMS, count)
    regions = list(REGION_WEIGHTS)
    accounts = []
    for index, stem in enumerate(stems):
        industry = rng.choice(sorted(INDUSTRY_SUFFIXES))
        name = f"{stem} {rng.choice(INDUSTRY_SUFFIXES[industry])}"
        region = rng.choices(regions, weights=[REGION_WEIGHTS[r] for r in regions])[0]
        segment = rng.choices(SEGMENTS, weights=(35, 40, 25))[0]
        owner = owner_for(rng, reps, region, segment)
        account = Account(
            name=name,
            external_id=f"DEMO-ACC-{index + 1:03d}",
            domain=f"{slug(stem)}.example",
            industry=industry,
            employees=employees_in(rng, segment),
            region=region,
            attributes={
                "Tier": _tier(rng, segment),
                "Tech stack": rng.choice(TECH_STACKS),
                "Fiscal year end": rng.choice(("December", "March", "June")),
            },
        )
        accounts.append(DemoAccount(account, owner, segment))
    return accounts


def slug(text: str) -> str:
    return "".join(ch for ch in text.lower().replace("&", "and") if ch.isalnum())


def employees_in(rng: Random, segment: str) -> int:
    low, high = {"SMB": (20, 199), "Mid-Market": (200, 1999), "Enterprise": (2000, 40000)}[segment]
    return int(math.exp(rng.uniform(math.log(low), math.log(high))))


def _tier(rng: Random, segment: str) -> str:
    weights = {"SMB": (1, 3, 6), "Mid-Market": (2, 5, 3), "Enterprise": (5, 4, 1)}[segment]
    return rng.choices(("1", "2", "3"), weights=weights)[0]


def owner_for(rng: Random, reps: list[DemoRep], region: str, segment: str) -> int:
    """A rep covering the region, preferring one who sells to the segment."""
    covering = [i for i, r in enumerate(reps) if region in r.rep.territories]
    fitting = [i for i in covering if segment in reps[i].rep.segments]
    return rng.choice(fitting or covering)


def build_contacts(rng: Random, accounts: list[DemoAccount]) -> list[DemoContact]:
    """Two to four people per account, with emails at the account's domain."""
    contacts: list[DemoContact] = []
    for index, demo in enumerate(accounts):
        people = REGION_PEOPLE[demo.account.region or "US-East"]
        titles = rng.sample(CONTACT_TITLES, 4)
        used: set[str] = set()
        for title in titles[: rng.randint(2, 4)]:
            name = person_name(rng, people, used)
            contact = Contact(
                name=name,
                email=email_for(name, demo.account.domain or "unknown.example"),
                phone=_phone(rng, people),
                title=title,
                external_id=f"DEMO-CON-{len(contacts) + 1:03d}",
            )
            contacts.append(DemoContact(contact, index))
    return contacts


def person_name(rng: Random, people: str, used: set[str]) -> str:
    """A name typical of the region, not yet in `used` (which it extends)."""
    while True:
        name = f"{rng.choice(FIRST_NAMES[people])} {rng.choice(LAST_NAMES[people])}"
        if name not in used:
            used.add(name)
            return name


def _phone(rng: Random, people: str) -> str | None:
    # Ranges reserved for fiction (555-01xx, Ofcom's 020 7946 0xxx), so no one real gets a call.
    if people in ("us", "latam"):
        return f"+1 212 555 01{rng.randint(0, 99):02d}"
    if people == "uk":
        return f"+44 20 7946 0{rng.randint(0, 999):03d}"
    return None


def working_moment(moment: datetime, rep: Rep, rng: Random) -> datetime:
    """`moment`, or the next time inside the rep's working hours: people log touches at work."""
    zone = ZoneInfo(rep.time_zone)
    local = moment.astimezone(zone)
    if local.weekday() in rep.working_days and rep.work_start <= local.time() < rep.work_end:
        return moment
    day = local.date() if local.time() < rep.work_start else local.date() + timedelta(days=1)
    while day.weekday() not in rep.working_days:
        day += timedelta(days=1)
    opening = datetime.combine(day, rep.work_start, tzinfo=zone)
    return (opening + timedelta(minutes=rng.randint(0, 240))).astimezone(moment.tzinfo)
