"""Fault injection with figures (asserts nothing): replicas killed mid-delivery while the fake
Slack answers 30% of calls with 500 or 429, then the faults stop and the outbox drains.

The run is tests/fault_world.py's, bigger: by default two replicas of `dealbot serve` on the
PostgreSQL server named by `--url` or DEALBOT_TEST_POSTGRES_URL (a fresh database is made in it),
else one process on SQLite. Prints the messages expected, delivered, duplicated and lost (each
counted per outbox key from the fake's log), and the time to drain after the faults stopped.

    python -m bench.bench_faults [--leads 200] [--replicas 2] [--url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fault_world import FaultPlan, FaultReport, run_faults  # noqa: E402


@contextmanager
def fresh_database(server_url: str | None) -> Iterator[str]:
    """A new database on the PostgreSQL server, dropped afterwards; a SQLite file without one."""
    if not server_url:
        with tempfile.TemporaryDirectory(prefix="dealbot-faults-") as folder:
            yield f"sqlite:///{folder}/dealbot.db"
        return
    url = make_url(server_url)
    name = f"dealbot_faults_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def figures(leads: int = 200, replicas: int = 2, url: str | None = None) -> dict[str, str]:
    """Run once and return the figures by name."""
    server = url or os.environ.get("DEALBOT_TEST_POSTGRES_URL")
    with fresh_database(server) as database:
        replicas = replicas if server else 1
        plan = FaultPlan(database, replicas=replicas, leads=leads, teams=max(4, leads // 10))
        report = run_faults(plan)
    backend = "PostgreSQL" if server else "SQLite"
    return summary(report, f"{replicas} replica(s) on {backend}")


def summary(report: FaultReport, setup: str) -> dict[str, str]:
    return {
        "faults: setup": f"{setup}, 30% of Slack calls 500/429, replica a SIGKILLed mid-send",
        "faults: messages expected": str(report.expected),
        "faults: delivered": str(report.delivered),
        "faults: duplicated": str(report.duplicated),
        "faults: lost": str(report.lost),
        "faults: Slack calls (500/429)": f"{report.calls} ({report.faults_answered})",
        "faults: killed replica's held post": (
            "found in history, not posted again" if report.held_found_in_history else "not found"
        ),
        "faults: drain after the faults stopped": f"{report.drain_seconds:.1f} s",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=200)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--url", help="a PostgreSQL server URL (default DEALBOT_TEST_POSTGRES_URL)")
    args = parser.parse_args()
    for name, value in figures(args.leads, args.replicas, args.url).items():
        print(f"{name:45} {value}")


if __name__ == "__main__":
    main()
