"""Demo leads: months of converted and disqualified history, and a handful arriving right now.

Whether a past lead converted follows its source, the buyer's seniority, company size, how fast
the first touch came and how much it browsed, plus noise, so the lead-score model has something
real to find. The fresh leads are untouched, with their response clock running.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from random import Random

from core.demo_notes import LEAD_SOURCES, LEAD_TITLES
from core.demo_org import (
    SEGMENTS,
    TEAMS,
    DemoRep,
    email_for,
    owner_for,
    person_name,
    slug,
    working_moment,
)
from core.demo_vocab import (
    COUNTRIES,
    INDUSTRY_SUFFIXES,
    LEAD_NAME_HEADS,
    LEAD_NAME_TAILS,
    REGION_PEOPLE,
    REGION_WEIGHTS,
)
from core.model import Activity, ActivityKind, Lead, LeadStatus, Signal

_FRESH_AGE_MINUTES = (3, 11, 40, 95, 180, 340, 720, 1500, 2900, 4300)
_FRESH_WITH_PRICING_VIEWS = (0, 1, 4)
_HOT_SOURCES = ("Demo request", "Pricing page", "Referral")
_SLOW_SLA_MINUTES = 240


@dataclass(frozen=True, slots=True)
class DemoLead:
    lead: Lead
    owner: int | None
    activities: tuple[Activity, ...]
    signals: tuple[Signal, ...]


@dataclass(frozen=True, slots=True)
class _Prospect:
    """Who a lead is, before anything happens to it."""

    name: str
    company: str
    domain: str
    region: str
    source: str
    title: str
    industry: str
    employees: int
    owner: int


def build_leads(
    rng: Random, now: datetime, reps: list[DemoRep], history: int = 50, fresh: int = 10
) -> list[DemoLead]:
    """`history` closed leads over the last ~9 months, then `fresh` open ones from the last days."""
    companies: set[str] = set()
    people: set[str] = set()
    closed = [
        _closed_lead(rng, now, reps, _prospect(rng, reps, companies, people), i)
        for i in range(history)
    ]
    ages = _FRESH_AGE_MINUTES[:fresh]
    opened = [
        _fresh_lead(
            rng,
            now,
            reps,
            _prospect(rng, reps, companies, people),
            history + i,
            age,
            browsing=i in _FRESH_WITH_PRICING_VIEWS,
        )
        for i, age in enumerate(ages)
    ]
    return closed + opened


def _prospect(rng: Random, reps: list[DemoRep], companies: set[str], people: set[str]) -> _Prospect:
    company = _company(rng, companies)
    industry = rng.choice(sorted(INDUSTRY_SUFFIXES))
    region = rng.choices(list(REGION_WEIGHTS), weights=list(REGION_WEIGHTS.values()))[0]
    employees = int(math.exp(rng.uniform(math.log(8), math.log(20000))))
    segment = SEGMENTS[0] if employees < 200 else SEGMENTS[1] if employees < 2000 else SEGMENTS[2]
    return _Prospect(
        name=person_name(rng, REGION_PEOPLE[region], people),
        company=f"{company} {rng.choice(INDUSTRY_SUFFIXES[industry])}",
        domain=f"{slug(company)}.example",
        region=region,
        source=rng.choices(list(LEAD_SOURCES), weights=(20, 12, 8, 18, 10, 20, 12))[0],
        title=rng.choice(sorted(LEAD_TITLES)),
        industry=industry,
        employees=employees,
        owner=owner_for(rng, reps, region, segment),
    )


def _company(rng: Random, used: set[str]) -> str:
    while True:
        name = rng.choice(LEAD_NAME_HEADS) + rng.choice(LEAD_NAME_TAILS)
        if name not in used:
            used.add(name)
            return name


def _lead(prospect: _Prospect, number: int, created: datetime) -> Lead:
    return Lead(
        name=prospect.name,
        created_at=created,
        external_id=f"DEMO-LEAD-{number + 1:03d}",
        email=email_for(prospect.name, prospect.domain),
        company=prospect.company,
        domain=prospect.domain,
        source=prospect.source,
        attributes={
            "Industry": prospect.industry,
            "Employees": str(prospect.employees),
            "Country": COUNTRIES[prospect.region],
            "Job title": prospect.title,
        },
    )


def _conversion_odds(
    prospect: _Prospect, response_minutes: float, browsing: int, noise: float
) -> float:
    """Log-odds of converting: what a good lead looks like, blurred by `noise`."""
    size = 0.4 if 200 <= prospect.employees < 2000 else -0.6 if prospect.employees < 50 else 0.0
    speed = 0.5 if response_minutes <= 60 else -0.4 if response_minutes > 24 * 60 else 0.0
    return (
        -0.9
        + LEAD_SOURCES[prospect.source]
        + LEAD_TITLES[prospect.title]
        + size
        + speed
        + 0.35 * browsing
        + noise
    )


def _closed_lead(
    rng: Random, now: datetime, reps: list[DemoRep], prospect: _Prospect, number: int
) -> DemoLead:
    rep = reps[prospect.owner].rep
    created = now - timedelta(days=rng.uniform(40, 270))
    assigned = created + timedelta(minutes=rng.uniform(0.5, 4))
    waited = timedelta(minutes=math.exp(rng.gauss(math.log(45), 1.3)))
    first_touch = working_moment(assigned + waited, rep, rng)
    browsing = rng.choices(range(5), weights=(30, 25, 20, 15, 10))[0]
    odds = _conversion_odds(
        prospect, (first_touch - created).total_seconds() / 60, browsing, rng.gauss(0, 0.8)
    )
    converted = rng.random() < 1 / (1 + math.exp(-odds))
    closed_at = working_moment(first_touch + timedelta(days=rng.uniform(2, 25)), rep, rng)
    lead = replace(
        _lead(prospect, number, created),
        status=LeadStatus.CONVERTED if converted else LeadStatus.DISQUALIFIED,
        assigned_at=assigned,
        first_touch_at=first_touch,
        first_touch_due=assigned + timedelta(minutes=_sla_minutes(prospect, reps)),
        converted_at=closed_at if converted else None,
    )
    touches = [_first_touch(rng, first_touch, prospect)] + [
        _follow_up(
            rng, working_moment(first_touch + (closed_at - first_touch) * rng.random(), rep, rng)
        )
        for _ in range(rng.randint(1, 3) if converted else rng.randint(0, 1))
    ]
    touches = [t for t in touches if t.occurred_at <= closed_at]
    signals = [
        _browse(rng, created + timedelta(hours=rng.uniform(-48, 72))) for _ in range(browsing)
    ]
    return DemoLead(lead, prospect.owner, tuple(touches), tuple(signals))


def _sla_minutes(prospect: _Prospect, reps: list[DemoRep]) -> int:
    """Hot sources get the team's hot-lead clock; the rest a few working hours."""
    if prospect.source not in _HOT_SOURCES:
        return _SLOW_SLA_MINUTES
    team = reps[prospect.owner].team
    return TEAMS[team].hot_lead_sla_minutes if team is not None else TEAMS[0].hot_lead_sla_minutes


def _fresh_lead(
    rng: Random,
    now: datetime,
    reps: list[DemoRep],
    prospect: _Prospect,
    number: int,
    age_minutes: int,
    *,
    browsing: bool,
) -> DemoLead:
    """A new, untouched lead whose first-touch clock is running (or has run out)."""
    created = now - timedelta(minutes=age_minutes * rng.uniform(0.9, 1.1))
    assigned = created + timedelta(seconds=rng.uniform(2, 50))
    lead = replace(
        _lead(prospect, number, created),
        assigned_at=assigned,
        first_touch_due=assigned + timedelta(minutes=_sla_minutes(prospect, reps)),
    )
    signals: tuple[Signal, ...] = ()
    if browsing:
        span = (now - created).total_seconds()
        views = sorted(
            created + timedelta(seconds=rng.uniform(0, span)) for _ in range(rng.randint(2, 4))
        )
        signals = tuple(
            Signal("pricing_page_view", at, 2.0, detail="Viewed /pricing") for at in views
        )
    return DemoLead(lead, prospect.owner, (), signals)


def _first_touch(rng: Random, moment: datetime, prospect: _Prospect) -> Activity:
    first = prospect.name.split()[0]
    kind = rng.choice((ActivityKind.CALL, ActivityKind.EMAIL))
    summary = (
        f"First call with {first}: asked about {prospect.company}'s sales process"
        if kind is ActivityKind.CALL
        else f"Intro email to {first} with a demo link"
    )
    outcome = "connected" if kind is ActivityKind.CALL else "sent"
    return Activity(kind=kind, occurred_at=moment, summary=summary, outcome=outcome)


def _follow_up(rng: Random, moment: datetime) -> Activity:
    summary = rng.choice(
        (
            "Qualification call, confirmed budget owner",
            "Sent case study and pricing",
            "Booked a demo for next week",
            "No response after two attempts",
        )
    )
    return Activity(
        kind=rng.choice((ActivityKind.CALL, ActivityKind.EMAIL)),
        occurred_at=moment,
        summary=summary,
    )


def _browse(rng: Random, moment: datetime) -> Signal:
    kind, weight, detail = rng.choice(
        (
            ("pricing_page_view", 2.0, "Viewed /pricing"),
            ("email_open", 1.0, "Opened the welcome email"),
            ("docs_visit", 0.5, "Read the integration docs"),
        )
    )
    return Signal(kind=kind, occurred_at=moment, weight=weight, detail=detail)
