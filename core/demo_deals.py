"""Demo deals with a past: stage walks, touches and buying signals, cut off at `now`.

Each deal's whole life is drawn first (it may end after `now`), then everything later than `now`
is dropped, so open deals sit in the stage they would be in today and deals heading for a loss
already look quiet. A hidden quality (account tier, source, segment, noise) drives both the
chance of losing at each stage and how often the rep touches the deal, so the history carries
a signal a win-probability model can learn, but not a clean one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random

from core.demo_notes import (
    CALL_OUTCOMES,
    DEAL_PRODUCTS,
    EMAIL_OUTCOMES,
    MEETING_OUTCOMES,
    NEXT_ACTIONS,
    QUIET_NOTES,
    STAGE_NOTES,
)
from core.demo_org import DemoAccount, DemoContact, DemoRep, working_moment
from core.model import Activity, ActivityKind, Deal, DealStatus, NextAction, Rep, Signal
from core.stages import DEFAULT_OPEN_STAGES, LOST, WON

HISTORY_DAYS = 270
_MEDIAN_DAYS = {"Prospecting": 6, "Qualification": 9, "Demo": 10, "Proposal": 12, "Negotiation": 9}
_LOSS_RATE = {
    "Prospecting": 0.3,
    "Qualification": 0.25,
    "Demo": 0.22,
    "Proposal": 0.18,
    "Negotiation": 0.14,
}
_PACE = {"SMB": 0.6, "Mid-Market": 1.0, "Enterprise": 1.6}
_AMOUNT = {"SMB": (9000.0, 0.5), "Mid-Market": (38000.0, 0.55), "Enterprise": (140000.0, 0.6)}
_TIER_PULL = {"1": 0.6, "2": 0.0, "3": -0.5}
_SEGMENT_PULL = {"SMB": 0.1, "Mid-Market": 0.0, "Enterprise": -0.2}
_SOURCES = {"Inbound": 0.4, "Referral": 0.7, "Partner": 0.3, "Event": 0.0, "Outbound": -0.3}
_SOURCE_WEIGHTS = (35, 15, 10, 10, 30)
_QUIET_DAYS = 18
"""Before a loss the deal goes dark: touches thin out and signals stop this many days ahead."""
_OUTCOMES = {
    ActivityKind.CALL: CALL_OUTCOMES,
    ActivityKind.MEETING: MEETING_OUTCOMES,
    ActivityKind.EMAIL: EMAIL_OUTCOMES,
}


@dataclass(frozen=True, slots=True)
class StageStep:
    """One move of a deal; `from_stage` is None for the stage it was created in."""

    from_stage: str | None
    to_stage: str
    at: datetime


@dataclass(frozen=True, slots=True)
class DemoDeal:
    deal: Deal
    account: int
    contact: int
    owner: int
    stages: tuple[StageStep, ...]
    activities: tuple[Activity, ...]
    signals: tuple[Signal, ...]


@dataclass(frozen=True, slots=True)
class _Life:
    """A deal's drawn future and past; `lost_at` is set when the walk ends in a loss."""

    steps: tuple[StageStep, ...]
    lost_at: datetime | None
    quality: float


def build_deals(
    rng: Random,
    now: datetime,
    reps: list[DemoRep],
    accounts: list[DemoAccount],
    contacts: list[DemoContact],
    count: int = 300,
) -> list[DemoDeal]:
    """`count` deals created over the last ~9 months, each with the history it has by `now`."""
    by_account: dict[int, list[int]] = {}
    for index, contact in enumerate(contacts):
        by_account.setdefault(contact.account, []).append(index)
    return [
        _deal(rng, now, number, reps, accounts, contacts, by_account) for number in range(count)
    ]


def _deal(
    rng: Random,
    now: datetime,
    number: int,
    reps: list[DemoRep],
    accounts: list[DemoAccount],
    contacts: list[DemoContact],
    by_account: dict[int, list[int]],
) -> DemoDeal:
    account_index = rng.randrange(len(accounts))
    account = accounts[account_index]
    contact_index = rng.choice(by_account[account_index])
    owner = _deal_owner(rng, reps, account)
    rep = reps[owner].rep
    source = rng.choices(list(_SOURCES), weights=_SOURCE_WEIGHTS)[0]
    first = contacts[contact_index].contact.name.split()[0]
    created = _created_at(rng, now, rep)
    life = _walk(rng, created, account, source)
    steps = tuple(s for s in life.steps if s.at <= now)
    end = steps[-1].at if steps[-1].to_stage in (WON, LOST) else now
    deal = _deal_value(rng, now, number, account, source, steps, life, first)
    return DemoDeal(
        deal=deal,
        account=account_index,
        contact=contact_index,
        owner=owner,
        stages=steps,
        activities=tuple(_touches(rng, life, end, rep, first)),
        signals=tuple(_signals(rng, life, end, now)),
    )


def _deal_owner(rng: Random, reps: list[DemoRep], account: DemoAccount) -> int:
    """Mostly the account owner; sometimes a teammate who covers for them."""
    if rng.random() < 0.85:
        return account.owner
    team = reps[account.owner].team
    mates = [i for i, r in enumerate(reps) if r.team == team and r.manager is not None]
    return rng.choice(mates)


def _created_at(rng: Random, now: datetime, rep: Rep) -> datetime:
    # Skewed towards recent months: the pipeline grows, and recent deals are the open ones.
    raw = now - timedelta(days=1.5 + (HISTORY_DAYS - 1.5) * rng.random() ** 1.5)
    moment = working_moment(raw, rep, rng)
    return moment if moment < now - timedelta(hours=1) else raw


def _walk(rng: Random, created: datetime, account: DemoAccount, source: str) -> _Life:
    """Walk the pipeline from Prospecting until Won or Lost, with days in stage by segment."""
    quality = (
        _TIER_PULL[account.account.attributes["Tier"]]
        + _SOURCES[source]
        + _SEGMENT_PULL[account.segment]
        + rng.gauss(0, 0.8)
    )
    steps = [StageStep(None, DEFAULT_OPEN_STAGES[0], created)]
    at = created
    for position, stage in enumerate(DEFAULT_OPEN_STAGES):
        days = _MEDIAN_DAYS[stage] * _PACE[account.segment] * math.exp(rng.gauss(0, 0.5))
        loss = min(0.85, max(0.03, _LOSS_RATE[stage] * math.exp(-0.6 * quality)))
        if rng.random() < loss:
            lost_at = at + timedelta(days=days * rng.uniform(0.6, 1.5))
            steps.append(StageStep(stage, LOST, lost_at))
            return _Life(tuple(steps), lost_at, quality)
        at += timedelta(days=days)
        following = (
            DEFAULT_OPEN_STAGES[position + 1] if position + 1 < len(DEFAULT_OPEN_STAGES) else WON
        )
        steps.append(StageStep(stage, following, at))
    return _Life(tuple(steps), None, quality)


def _deal_value(
    rng: Random,
    now: datetime,
    number: int,
    account: DemoAccount,
    source: str,
    steps: tuple[StageStep, ...],
    life: _Life,
    first: str,
) -> Deal:
    last = steps[-1]
    status = {WON: DealStatus.WON, LOST: DealStatus.LOST}.get(last.to_stage, DealStatus.OPEN)
    created = steps[0].at
    planned = sum(_MEDIAN_DAYS.values()) * _PACE[account.segment] * rng.uniform(0.8, 1.25)
    expected = (created + timedelta(days=planned)).date()
    if status is DealStatus.OPEN and expected < now.date() and rng.random() < 0.6:
        expected = now.date() + timedelta(days=rng.randint(5, 40))
    product = rng.choice(DEAL_PRODUCTS).format(n=rng.choice((10, 15, 25, 40, 60, 120)))
    return Deal(
        name=f"{account.account.name.rsplit(' ', 1)[0]} - {product}",
        stage=last.to_stage,
        created_at=created,
        external_id=f"DEMO-DEAL-{number + 1:04d}",
        amount=_amount(rng, account),
        stage_entered_at=last.at,
        expected_close=expected,
        status=status,
        closed_at=last.at if status is not DealStatus.OPEN else None,
        next_action=_next_action(rng, now, last.to_stage, first)
        if status is DealStatus.OPEN
        else None,
        source=source,
        attributes={
            "Competitor": rng.choice(("None", "Spreadsheets", "Incumbent add-on", "Point tool"))
        },
    )


def _amount(rng: Random, account: DemoAccount) -> float:
    median, sigma = _AMOUNT[account.segment]
    if account.account.attributes["Tier"] == "1":
        median *= 1.3
    step = 100 if account.segment == "SMB" else 500
    return float(max(step, round(median * math.exp(rng.gauss(0, sigma)) / step) * step))


def _next_action(rng: Random, now: datetime, stage: str, first: str) -> NextAction | None:
    """What the rep said they would do next; about a quarter are overdue, a few are missing."""
    if rng.random() < 0.08:
        return None
    due = now.date() + timedelta(
        days=rng.randint(-9, -1) if rng.random() < 0.2 else rng.randint(0, 14)
    )
    return NextAction(rng.choice(NEXT_ACTIONS[stage]).format(first=first), due)


def _stage_at(steps: tuple[StageStep, ...], moment: datetime) -> str:
    stage = steps[0].to_stage
    for step in steps:
        if step.at <= moment and step.to_stage not in (WON, LOST):
            stage = step.to_stage
    return stage


def _quiet(life: _Life, moment: datetime) -> bool:
    return life.lost_at is not None and moment > life.lost_at - timedelta(days=_QUIET_DAYS)


def _touches(rng: Random, life: _Life, end: datetime, rep: Rep, first: str) -> list[Activity]:
    """Touches in working hours: more for better deals, few in the weeks before a loss."""
    rate = 0.22 * math.exp(0.35 * life.quality + rng.gauss(0, 0.25))
    moment = life.steps[0].at
    touches = [_touch(rng, life.steps[0].to_stage, moment, first, quiet=False)]
    while True:
        quiet = _quiet(life, moment)
        gap = timedelta(days=rng.expovariate(rate * (0.3 if quiet else 1.0)))
        moment = working_moment(moment + gap, rep, rng)
        if moment > end:
            return touches
        touches.append(_touch(rng, _stage_at(life.steps, moment), moment, first, quiet))


def _touch(rng: Random, stage: str, moment: datetime, first: str, quiet: bool) -> Activity:
    kind, text = rng.choice(QUIET_NOTES if quiet and rng.random() < 0.6 else STAGE_NOTES[stage])
    outcomes = _OUTCOMES.get(ActivityKind(kind))
    return Activity(
        kind=ActivityKind(kind),
        occurred_at=moment,
        summary=text.format(first=first, n=rng.choice((12, 25, 40, 80))),
        outcome=rng.choice(outcomes) if outcomes else None,
        surface=rng.choices(("import", "slack", "teams"), weights=(75, 18, 7))[0],
    )


_SIGNAL_KINDS = (
    ("email_open", 1.0, "Opened the follow-up email"),
    ("pricing_page_view", 2.0, "Viewed /pricing"),
)
_LATE_SIGNAL = ("proposal_view", 3.0, "Opened the proposal")


def _signals(rng: Random, life: _Life, end: datetime, now: datetime) -> list[Signal]:
    """Buyer behaviour after the demo; none once a deal goes dark, fresh ones on some live deals."""
    demo = next((s.at for s in life.steps if s.to_stage == "Demo"), None)
    if demo is None or demo > end:
        return []
    signals: list[Signal] = []
    rate = 0.05 * math.exp(0.6 * life.quality)
    moment = demo
    while True:
        moment += timedelta(days=rng.expovariate(rate))
        if moment > end or _quiet(life, moment):
            break
        signals.append(_signal(rng, moment, _stage_at(life.steps, moment)))
    if end == now and life.lost_at is None and rng.random() < 0.35:
        fresh = max(demo, now - timedelta(hours=rng.uniform(1, 40)))
        signals.append(_signal(rng, fresh, _stage_at(life.steps, now)))
    return signals


def _signal(rng: Random, moment: datetime, stage: str) -> Signal:
    kinds = _SIGNAL_KINDS + ((_LATE_SIGNAL,) if stage in ("Proposal", "Negotiation") else ())
    kind, weight, detail = rng.choice(kinds)
    return Signal(kind=kind, occurred_at=moment, weight=weight, detail=detail)
