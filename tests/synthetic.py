"""Synthetic deal histories with known effects, for the learning tests and the training benchmark.

The truth: a deal's win odds double when its custom attribute `vertical` is fintech, rise with
how often it is touched, and fall with company size; lost deals carry amount 0 (as CRM exports
do), and `lost_reason` is filled in only on lost deals. With `signal=False` the outcome is a
coin (35%) and nothing predicts it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.facts import DealFacts
from core.history import deal_facts_as_of, stage_spells
from core.model import Account, Activity, ActivityKind, Deal, DealStatus, StageChange
from core.stages import DEFAULT_OPEN_STAGES, LOST, WON, Pipeline

START = datetime(2023, 1, 2, 9, 0)
VERTICALS = ("fintech", "retail", "health", "logistics")
SOURCES = ("web", "referral", "event", "outbound")


@dataclass
class History:
    deals: list[Deal]
    changes: list[StageChange]
    activities: list[Activity]
    accounts: list[Account]
    open_facts: list[DealFacts]


def _accounts(rng: random.Random, n: int) -> list[Account]:
    return [
        Account(
            name=f"Account {i}",
            id=i,
            industry=rng.choice(("software", "finance", "retail")),
            employees=int(math.exp(rng.gauss(5, 1.2))),
            region=rng.choice(("EU", "NA", "APAC")),
        )
        for i in range(1, n + 1)
    ]


def _win_logit(vertical: str, touch_rate: float, employees: int, signal: bool) -> float:
    if not signal:
        return math.log(0.35 / 0.65)
    return (
        -0.9
        + math.log(2) * (vertical == "fintech")
        + 0.9 * (touch_rate - 1.0)
        - 0.25 * (math.log10(employees) - 2.2)
    )


def _path(
    rng: random.Random, won: bool, created: datetime, linger: float
) -> list[tuple[str, datetime]]:
    """Stage entries: every open stage then Won, or a random number of stages then Lost.

    A lost deal stays `linger` times as long in its last stage before it is marked lost.
    """
    reached = len(DEFAULT_OPEN_STAGES) if won else rng.randint(1, len(DEFAULT_OPEN_STAGES))
    at, path = created, []
    for i, stage in enumerate(DEFAULT_OPEN_STAGES[:reached]):
        path.append((stage, at))
        stretch = linger if not won and i == reached - 1 else 1.0
        at += timedelta(days=(1 + rng.expovariate(1 / 10)) * stretch)
    path.append((WON if won else LOST, at))
    return path


def _touches(
    rng: random.Random, deal_id: int, rate: float, begin: datetime, end: datetime
) -> list[Activity]:
    days = max(0.0, (end - begin).total_seconds() / 86400)
    count = sum(1 for _ in range(int(days)) if rng.random() < rate / 7)
    return [
        Activity(ActivityKind.CALL, begin + timedelta(days=rng.uniform(0, days)), deal_id=deal_id)
        for _ in range(count)
    ]


def closed_history(
    n: int,
    seed: int = 7,
    *,
    signal: bool = True,
    n_open: int = 300,
    flat: bool = False,
    linger: float = 1.0,
) -> History:
    """`n` closed deals over two years (with stage history and touches) and `n_open` open ones.

    `flat` leaves out the stage history, as a CSV import of closed deals does; `linger` > 1
    keeps lost deals open longer in their last stage, as stale deals are in a real pipeline.
    """
    rng = random.Random(seed)
    accounts = _accounts(rng, max(20, n // 25))
    deals, changes, activities = [], [], []
    for deal_id in range(1, n + 1):
        account = rng.choice(accounts)
        vertical, rate = rng.choice(VERTICALS), rng.uniform(0.2, 2.5)
        p = 1 / (1 + math.exp(-_win_logit(vertical, rate, account.employees or 100, signal)))
        won = rng.random() < p
        created = START + timedelta(days=rng.uniform(0, 700), hours=rng.uniform(0, 8))
        path = _path(rng, won, created, linger)
        closed = path[-1][1]
        amount = round(math.exp(rng.gauss(9.5, 0.8)), -2)
        attributes = {"vertical": vertical, "seats": str(rng.randint(5, 200))}
        if not won:
            attributes["lost_reason"] = rng.choice(("price", "timing", "competitor"))
        deals.append(
            Deal(
                name=f"Deal {deal_id}",
                stage=path[-1][0],
                created_at=created,
                id=deal_id,
                account_id=account.id,
                owner_id=rng.randint(1, 12),
                amount=amount if won else 0.0,
                status=DealStatus.WON if won else DealStatus.LOST,
                closed_at=closed,
                source=rng.choice(SOURCES),
                attributes=attributes,
            )
        )
        changes += (
            []
            if flat
            else [
                StageChange(deal_id, stage, at, prev[0] if prev else None)
                for prev, (stage, at) in zip([None, *path[:-1]], path, strict=True)
            ]
        )
        activities += _touches(rng, deal_id, rate, created, closed)
    return History(deals, changes, activities, accounts, _open_facts(rng, accounts, n_open, n))


def _open_facts(
    rng: random.Random, accounts: list[Account], n: int, first_id: int
) -> list[DealFacts]:
    now = START + timedelta(days=730)
    out = []
    for i in range(n):
        created = now - timedelta(days=rng.uniform(1, 90))
        stage = rng.choice(DEFAULT_OPEN_STAGES)
        deal = Deal(
            name=f"Open {i}",
            stage=stage,
            created_at=created,
            id=first_id + i + 1,
            account_id=(account := rng.choice(accounts)).id,
            owner_id=rng.randint(1, 12),
            amount=round(math.exp(rng.gauss(9.5, 0.8)), -2),
            source=rng.choice(SOURCES),
            attributes={"vertical": rng.choice(VERTICALS), "seats": str(rng.randint(5, 200))},
        )
        touches = sorted(
            created + timedelta(days=rng.uniform(0, 30)) for _ in range(rng.randint(0, 6))
        )
        out.append(
            deal_facts_as_of(deal, stage, created, [t for t in touches if t < now], account, now)
        )
    return out


def open_pipeline(history: History, at: datetime) -> tuple[list[DealFacts], list[bool]]:
    """The closed deals that were open at `at`, as they stood then, and how each one ended.

    This is what ranking scores (the pipeline at a moment), so a calibrated model's mean
    probability over these deals matches their win rate.
    """
    pipeline = Pipeline()
    changes: dict[int, list[StageChange]] = {}
    for change in history.changes:
        changes.setdefault(change.deal_id, []).append(change)
    touches: dict[int, list[datetime]] = {}
    for activity in history.activities:
        if activity.deal_id is not None:
            touches.setdefault(activity.deal_id, []).append(activity.occurred_at)
    accounts = {a.id: a for a in history.accounts}
    facts, won = [], []
    for deal in history.deals:
        assert deal.id is not None and deal.closed_at is not None
        if not deal.created_at <= at < deal.closed_at:
            continue
        spells = stage_spells(deal, changes.get(deal.id, []), pipeline)
        spell = next((s for s in reversed(spells) if s.start <= at), None)
        stage, entered = (spell.stage, spell.start) if spell else ("", deal.created_at)
        times = sorted(touches.get(deal.id, []))
        account = accounts.get(deal.account_id)
        facts.append(deal_facts_as_of(deal, stage, entered, times, account, at))
        won.append(bool(deal.outcome))
    return facts, won
