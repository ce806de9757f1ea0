"""A big synthetic pipeline for benchmarks: thousands of reps, hundreds of thousands of open deals.

Not the demo (that is `core.demo_team`, small and believable). This is volume: by default 2,000
reps x 200 open deals with ~3 activities each (400,000 deals, ~1.2 million activities), some
fresh signals, and a closed history with stage changes for training. Rows go straight into
storage's tables with SQLAlchemy Core executemany in batches, ids assigned here, so writing
costs no round trip per row. Same seed and `now` give the same database.

    python -m bench.synthetic --url sqlite:///bench.db [--reps 2000 --deals-per-rep 200 ...]
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from random import Random
from typing import Any

from sqlalchemy import Table, func, select, text
from sqlalchemy.engine import Connection, Engine

from core.stages import DEFAULT_OPEN_STAGES, LOST, WON
from storage.db import create_engine_for, create_schema
from storage.tables import (
    AccountRow,
    ActivityRow,
    DealRow,
    RepRow,
    SignalRow,
    StageChangeRow,
    TeamRow,
)

BATCH = 10_000
_ZONES = ("America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London",
          "Europe/Berlin", "Asia/Singapore", "Australia/Sydney")  # fmt: skip
_KINDS = ("call", "email", "meeting", "note")
_SEGMENTS = ("SMB", "Mid-Market", "Enterprise")


def _table(row_type: Any) -> Table:
    return row_type.__table__  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class Shape:
    """How much to write."""

    reps: int = 2000
    open_deals_per_rep: int = 200
    activities_per_deal: float = 3.0
    closed_deals: int = 20_000
    accounts_per_rep: int = 5
    teams: int = 10
    signal_share: float = 0.1

    @property
    def open_deals(self) -> int:
        return self.reps * self.open_deals_per_rep


@dataclass(frozen=True, slots=True)
class Written:
    counts: dict[str, int]
    seconds: float


class _Writer:
    """Inserts rows table by table in batches; counts what it wrote."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.counts: dict[str, int] = {}

    def insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        for start in range(0, len(rows), BATCH):
            self.connection.execute(table.insert(), rows[start : start + BATCH])
        self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)


def write_synthetic(engine: Engine, *, shape: Shape, seed: int, now: datetime) -> Written:
    """Fill an empty database (schema created) with `shape`'s pipeline, in one transaction."""
    started = time.perf_counter()
    rng = Random(seed)
    with engine.begin() as connection:
        if connection.execute(select(func.count()).select_from(_table(RepRow))).scalar_one():
            raise SystemExit("bench.synthetic needs an empty database; this one already has reps.")
        writer = _Writer(connection)
        writer.insert(_table(TeamRow), [_team(i) for i in range(1, shape.teams + 1)])
        writer.insert(_table(RepRow), [_rep(rng, i, shape) for i in range(1, shape.reps + 1)])
        accounts = shape.reps * shape.accounts_per_rep
        writer.insert(_table(AccountRow), [_account(rng, i, shape) for i in range(1, accounts + 1)])
        for rows in _deal_chunks(rng, shape, now):
            for table, chunk in rows:
                writer.insert(table, chunk)
        _advance_sequences(connection)
    return Written(writer.counts, time.perf_counter() - started)


def _team(team_id: int) -> dict[str, Any]:
    return {"id": team_id, "name": f"Team {team_id}", "alert_channel": f"#team-{team_id}",
            "hot_lead_sla_minutes": 5, "escalation_minutes": 15}  # fmt: skip


def _rep(rng: Random, rep_id: int, shape: Shape) -> dict[str, Any]:
    return {
        "id": rep_id, "email": f"rep{rep_id}@bench.example", "name": f"Rep {rep_id}",
        "time_zone": _ZONES[rep_id % len(_ZONES)], "role": "rep",
        "team_id": 1 + rep_id % shape.teams, "manager_id": None, "working_days": "0,1,2,3,4",
        "work_start": "08:00", "work_end": "18:00", "holidays": [], "territories": [],
        "segments": [_SEGMENTS[rep_id % 3]], "daily_capacity": rng.randint(15, 30),
        "weekly_capacity": 100, "out_of_office_until": None, "slack_user_id": f"UB{rep_id:07d}",
        "teams_user_id": None, "active": True,
    }  # fmt: skip


def _account(rng: Random, account_id: int, shape: Shape) -> dict[str, Any]:
    name = f"Account {account_id}"
    return {
        "id": account_id, "name": name, "name_key": name.lower(), "external_id": None,
        "domain": f"account{account_id}.example", "industry": None,
        "employees": int(math.exp(rng.uniform(3, 10))), "region": None,
        "owner_id": 1 + (account_id - 1) // shape.accounts_per_rep,
        "attributes": {"Tier": str(rng.randint(1, 3))},
    }  # fmt: skip


Rows = list[tuple[Table, list[dict[str, Any]]]]


def _deal_chunks(rng: Random, shape: Shape, now: datetime) -> Iterator[Rows]:
    """Deals with their activities, signals and stage changes, a chunk at a time (parents first)."""
    total = shape.open_deals + shape.closed_deals
    for first in range(1, total + 1, BATCH):
        deals: list[dict[str, Any]] = []
        activities: list[dict[str, Any]] = []
        signals: list[dict[str, Any]] = []
        changes: list[dict[str, Any]] = []
        for deal_id in range(first, min(first + BATCH, total + 1)):
            closed = deal_id > shape.open_deals
            deal = _deal(rng, deal_id, shape, now, closed=closed)
            deals.append(deal)
            activities.extend(_activities(rng, deal, shape, now))
            if closed:
                changes.extend(_changes(deal))
            elif rng.random() < shape.signal_share:
                signals.append(_signal(rng, deal, now))
        yield [(_table(DealRow), deals), (_table(ActivityRow), activities),
               (_table(SignalRow), signals), (_table(StageChangeRow), changes)]  # fmt: skip


def _deal(
    rng: Random, deal_id: int, shape: Shape, now: datetime, *, closed: bool
) -> dict[str, Any]:
    owner = 1 + (deal_id - 1) % shape.reps
    account = (owner - 1) * shape.accounts_per_rep + 1 + rng.randrange(shape.accounts_per_rep)
    created = now - timedelta(days=rng.uniform(5, 365 if closed else 180))
    age = (now - created).total_seconds()
    entered = created + timedelta(seconds=age * rng.uniform(0, 0.9))
    stage = (WON if rng.random() < 0.3 else LOST) if closed else rng.choice(DEFAULT_OPEN_STAGES)
    due: date | None = (now + timedelta(days=rng.randint(-10, 20))).date()
    name = f"Deal {deal_id}"
    return {
        "id": deal_id, "name": name, "name_key": name.lower(), "stage": stage,
        "created_at": created, "external_id": None, "account_id": account, "contact_id": None,
        "owner_id": owner, "amount": round(rng.lognormvariate(10, 1.0), -2), "currency": "USD",
        "stage_entered_at": entered, "expected_close": (entered + timedelta(days=30)).date(),
        "status": stage.lower() if closed else "open", "closed_at": entered if closed else None,
        "next_action_text": None if closed else "Follow up",
        "next_action_due": None if closed else due,
        "next_action_owner_id": None if closed else owner, "source": None, "attributes": {},
    }  # fmt: skip


def _activities(
    rng: Random, deal: dict[str, Any], shape: Shape, now: datetime
) -> list[dict[str, Any]]:
    """About `activities_per_deal` touches between creation and close (or now)."""
    start: datetime = deal["created_at"]
    span = ((deal["closed_at"] or now) - start).total_seconds()
    count = min(int(rng.expovariate(1 / shape.activities_per_deal) + 0.5), 20)
    return [
        {"kind": rng.choice(_KINDS), "occurred_at": start + timedelta(seconds=span * rng.random()),
         "deal_id": deal["id"], "lead_id": None, "rep_id": deal["owner_id"], "summary": "Touch",
         "outcome": None, "surface": "import", "external_id": None}
        for _ in range(count)
    ]  # fmt: skip


def _signal(rng: Random, deal: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {"kind": "pricing_page_view", "occurred_at": now - timedelta(hours=rng.uniform(1, 160)),
            "weight": 2.0, "lead_id": None, "account_id": deal["account_id"], "deal_id": deal["id"],
            "detail": ""}  # fmt: skip


def _changes(deal: dict[str, Any]) -> list[dict[str, Any]]:
    """A closed deal's walk: every open stage up to the one it closed from, evenly spaced."""
    created, closed = deal["created_at"], deal["closed_at"]
    depth = len(DEFAULT_OPEN_STAGES) if deal["stage"] == WON else 1 + deal["id"] % 4
    stages = [None, *DEFAULT_OPEN_STAGES[:depth], deal["stage"]]
    step = (closed - created) / (len(stages) - 1)
    return [
        {"deal_id": deal["id"], "from_stage": stages[i], "to_stage": stages[i + 1],
         "changed_at": created + step * i if i < len(stages) - 2 else closed}
        for i in range(len(stages) - 1)
    ]  # fmt: skip


def _advance_sequences(connection: Connection) -> None:
    """Ids were given here, so PostgreSQL's sequences must catch up before the next insert."""
    if connection.dialect.name != "postgresql":
        return
    for table in ("team", "rep", "account", "deal"):
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f'(SELECT COALESCE(MAX(id), 1) FROM "{table}"))'
            )  # fmt: skip
        )


def main(argv: list[str] | None = None) -> None:
    default = Shape()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="sqlite:///bench.db")
    parser.add_argument("--reps", type=int, default=default.reps)
    parser.add_argument("--deals-per-rep", type=int, default=default.open_deals_per_rep)
    parser.add_argument("--activities", type=float, default=default.activities_per_deal)
    parser.add_argument("--history", type=int, default=default.closed_deals)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--now", default=None, help="ISO time (UTC); default: today 00:00 UTC")
    args = parser.parse_args(argv)
    now = _parse_now(args.now)
    shape = Shape(args.reps, args.deals_per_rep, args.activities, args.history)
    engine = create_engine_for(args.url)
    create_schema(engine)
    written = write_synthetic(engine, shape=shape, seed=args.seed, now=now)
    engine.dispose()
    counts = ", ".join(f"{n:,} {table}" for table, n in written.counts.items())
    print(f"Wrote {counts} as of {now.isoformat()} in {written.seconds:.1f} s")


def _parse_now(raw: str | None) -> datetime:
    if raw is None:
        return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    parsed = datetime.fromisoformat(raw)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


if __name__ == "__main__":
    main()
