"""Fault injection: replicas killed mid-delivery while Slack fails 30% of calls lose nothing and
send nothing twice (tests/fault_world.py tells the run). Select with `-m faults`.

PostgreSQL: two replicas on a fresh database of the test server (the pg wrapper's
DEALBOT_TEST_POSTGRES_URL). SQLite: one process on a file, killed and started again.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from tests.conftest import fresh_postgres_url
from tests.fault_world import FaultPlan, FaultReport, run_faults

pytestmark = pytest.mark.faults


@pytest.fixture
def postgres_url(postgres_server_url: URL, postgres_admin_engine: Engine) -> Iterator[str]:
    yield from fresh_postgres_url(postgres_admin_engine, postgres_server_url)


def assert_exactly_once(report: FaultReport) -> None:
    assert report.leads_accepted == report.leads_sent, report.lines()
    assert report.expected > 0 and report.faults_answered > 0
    assert report.statuses == {"sent": report.expected}, report.lines()
    assert (report.lost, report.duplicated) == (0, 0), report.lines()
    assert set(report.per_key.values()) == {1}
    assert report.held_key is not None and report.held_found_in_history, report.lines()


def test_two_replicas_on_postgresql_one_killed_mid_delivery(postgres_url: str) -> None:
    report = run_faults(FaultPlan(postgres_url, replicas=2, leads=24, teams=4))
    assert_exactly_once(report)


def test_one_sqlite_process_killed_mid_delivery_and_started_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dealbot.db'}"
    report = run_faults(FaultPlan(url, replicas=1, leads=16, teams=3))
    assert_exactly_once(report)
