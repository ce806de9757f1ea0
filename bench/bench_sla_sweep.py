"""One SLA sweep over 100,000 open leads (prints figures, asserts nothing).

100,000 open leads with running response clocks on SQLite, owned by 200 reps in 100 teams. Most
clocks are not due; `--due` of them (default 1,000) have a level due now. The sweep reads only
what is due (an index on `sla_next_at`), so its cost follows the due leads, not the open ones.
Figures: a sweep with nothing due (the every-few-seconds case), the sweep that fires the due
levels, and, as the baseline in the same process, a plain `count(*)` of the open leads.

    python -m bench.bench_sla_sweep [--leads 100000] [--due 1000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path

from sqlalchemy import insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.model import Rep, Team  # noqa: E402
from handlers.lead_desk import DeskDeps  # noqa: E402
from handlers.sla_sweep import sweep_response_clocks  # noqa: E402
from storage.db import create_engine_for, create_schema  # noqa: E402
from storage.tables import LeadRow  # noqa: E402
from storage.uow import UnitOfWorkFactory  # noqa: E402

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
ALL_WEEK = (0, 1, 2, 3, 4, 5, 6)


class Clock:
    def now(self) -> datetime:
        return NOW


def prepare(url: str, leads: int, due: int) -> UnitOfWorkFactory:
    path = url.removeprefix("sqlite:///")
    for suffix in ("", "-wal", "-shm"):
        Path(path + suffix).unlink(missing_ok=True)
    engine = create_engine_for(url)
    create_schema(engine)
    factory = UnitOfWorkFactory(engine)
    with factory() as uow:
        reps = []
        for t in range(100):
            team = uow.teams.add(Team(name=f"Team {t:03d}", alert_channel=f"CT{t:03d}"))
            for r in range(2):
                reps.append(uow.reps.add(
                    Rep(email=f"rep{t:03d}{r}@example.com", name=f"Rep {t:03d}{r}",
                        team_id=team.id, slack_user_id=f"U{t:03d}{r}", working_days=ALL_WEEK,
                        work_start=wall_time(0), work_end=wall_time(0))
                ))  # fmt: skip
        uow.commit()
    rows = []
    for n in range(leads):
        owner = reps[n % len(reps)]
        is_due = n < due
        started = NOW - timedelta(minutes=6 if is_due else 1)
        rows.append({
            "name": f"Lead {n}", "created_at": started, "email": f"lead{n}@company{n}.io",
            "status": "new", "owner_id": owner.id, "team_id": owner.team_id, "tier": "hot",
            "score": 80.0, "attributes": {}, "score_detail": {}, "assigned_at": started,
            "sla_started_at": started, "sla_fired": 0,
            "sla_next_at": NOW - timedelta(seconds=1) if is_due else NOW + timedelta(minutes=3),
            "first_touch_due": started + timedelta(minutes=5),
        })  # fmt: skip
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            conn.execute(insert(LeadRow.__table__), rows[start : start + 5000])  # type: ignore[attr-defined]
    return factory


def timed(action) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="sqlite:////tmp/dealbot-sla.db")
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1_000)
    args = parser.parse_args()
    factory = prepare(args.url, args.leads, args.due)
    deps = DeskDeps(uow_factory=factory, clock=Clock())

    def count() -> int:
        with factory.engine.connect() as conn:
            return int(
                conn.execute(text("select count(*) from lead where status = 'new'")).scalar_one()
            )

    baseline, open_leads = timed(count)
    firing, run = timed(lambda: sweep_response_clocks(deps))
    idle, idle_run = timed(lambda: sweep_response_clocks(deps))
    print(f"SQLite, {open_leads} open leads with running clocks, {args.due} with a level due, "
          f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    print(f"  sweep firing the due levels: {firing * 1000:8.1f} ms  ({run.describe()})")  # type: ignore[attr-defined]
    print(f"  sweep with nothing due:      {idle * 1000:8.1f} ms  ({idle_run.due} due)")  # type: ignore[attr-defined]
    print(f"  baseline count(*) of open:   {baseline * 1000:8.1f} ms  "
          f"(firing sweep = x{firing / baseline:.1f}, idle sweep = x{idle / baseline:.2f})")  # fmt: skip


if __name__ == "__main__":
    main()
