"""A clock pass runs on one replica at a time on PostgreSQL; SQLite always lets it run."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL

from bot.scheduler import TICK_JOB_ID, DigestClock
from bot.services import build_services
from bot.settings import load_settings
from storage.db import create_schema
from storage.job_locks import lock_key, pass_lock
from storage.migrate import current
from tests.conftest import fresh_postgres_url
from tests.test_digest import NEW_YORK_8AM, seed
from tests.test_scheduler import FixedClock


def test_a_second_runner_is_turned_away_until_the_first_is_done(database_url: str) -> None:
    other_replica = create_engine(database_url)
    services = build_services(load_settings(database_url=database_url))
    create_schema(services.engine)
    seed(services.uow_factory)
    clock = DigestClock(services, FixedClock(NEW_YORK_8AM))
    postgres = services.engine.dialect.name == "postgresql"
    try:
        with pass_lock(other_replica, TICK_JOB_ID) as first:
            with pass_lock(services.engine, "sla-sweep") as unrelated:
                assert first and unrelated
            while_held = asyncio.run(clock.tick())
        after = asyncio.run(clock.tick())
    finally:
        services.close()
        other_replica.dispose()
    assert after is not None
    if postgres:
        assert while_held is None and after.enqueued == 3
    else:
        assert while_held is not None and while_held.enqueued == 3 and after.enqueued == 0


def test_lock_keys_are_stable_and_distinct() -> None:
    assert lock_key("digest-tick") == lock_key("digest-tick")
    assert lock_key("digest-tick") != lock_key("sla-sweep")
    assert -(2**63) <= lock_key("digest-tick") < 2**63


def test_replicas_starting_together_migrate_once_without_a_race(
    postgres_server_url: URL, postgres_admin_engine: Engine
) -> None:
    """Four `dealbot db upgrade` processes at once on an empty PostgreSQL database."""
    for url in fresh_postgres_url(postgres_admin_engine, postgres_server_url):
        command = [sys.executable, "-c", "from bot.cli import run; run()", "db", "upgrade"]
        env = {**os.environ, "DATABASE_URL": url}
        starts = [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL) for _ in range(4)]
        assert [p.wait(120) for p in starts] == [0, 0, 0, 0]
        assert current(url) is not None
