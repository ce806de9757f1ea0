"""Inbound leads for the emulator's "simulate a lead" button, and when the demo's day begins.

A simulated lead is a form submission like the ones the intake webhook receives, made of the demo
team's own vocabulary (invented companies on `.example` domains, names typical of the region),
so it is scored, routed and announced exactly like a real one.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from random import Random

from core.demo_notes import LEAD_SOURCES, LEAD_TITLES
from core.demo_org import email_for, person_name, slug
from core.demo_vocab import (
    COUNTRIES,
    INDUSTRY_SUFFIXES,
    LEAD_NAME_HEADS,
    LEAD_NAME_TAILS,
    REGION_PEOPLE,
    REGION_WEIGHTS,
)
from core.intake import LeadSubmission

WORDS = (
    "We'd like to see pricing for {seats} seats before our planning meeting on {day}.",
    "Can someone walk us through the forecasting features? We're evaluating tools this month.",
    "Our current CRM add-on is being retired; looking for a replacement for {seats} reps.",
    "Saw the webinar last week. Interested in a demo for our sales leadership team.",
    "Please call me about a trial for our {region} team.",
)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
DEMO_DAY_START = time(14, 0)
DEMO_DAY_END = time(20, 0)
"""Hours (UTC) when the demo's reps in New York, Chicago, London and Berlin are all at work."""


def simulated_lead(rng: Random, *, hot: bool | None = None) -> LeadSubmission:
    """A believable inbound lead; `hot` forces a demo request on (True) or off (False)."""
    region = rng.choices(list(REGION_WEIGHTS), weights=list(REGION_WEIGHTS.values()))[0]
    name = person_name(rng, REGION_PEOPLE[region], set())
    stem = rng.choice(LEAD_NAME_HEADS) + rng.choice(LEAD_NAME_TAILS)
    industry = rng.choice(sorted(INDUSTRY_SUFFIXES))
    company = f"{stem} {rng.choice(INDUSTRY_SUFFIXES[industry])}"
    domain = f"{slug(stem)}.example"
    source = rng.choice(sorted(LEAD_SOURCES))
    demo_request = hot if hot is not None else source == "Demo request" or rng.random() < 0.3
    words = rng.choice(WORDS).format(
        seats=rng.choice((15, 25, 40, 80)), day=rng.choice(DAYS), region=region
    )
    return LeadSubmission(
        name=name,
        email=email_for(name, domain),
        company=company,
        domain=domain,
        source=source,
        message=words,
        demo_request=demo_request,
        custom={
            "territory": region,
            "Country": COUNTRIES[region],
            "Industry": industry,
            "Employees": str(rng.choice((45, 120, 350, 900, 2500, 8000))),
            "Job title": rng.choice(sorted(LEAD_TITLES)),
        },
    )


def demo_start(now: datetime) -> datetime:
    """`now` on a weekday afternoon (UTC) when most of the demo team works, else the next one.

    The demo's emulated clock starts there, so a lead fired at once finds reps at work to take
    it and its response clock running, on any day the demo is run.
    """
    moment = now.astimezone(UTC)
    if moment.weekday() < 5 and DEMO_DAY_START <= moment.time() < DEMO_DAY_END:
        return moment
    day = moment.date() if moment.time() < DEMO_DAY_START else moment.date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, DEMO_DAY_START, tzinfo=UTC)
