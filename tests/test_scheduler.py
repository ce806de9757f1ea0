"""The digest clock: it starts and stops with the app, a tick writes digests, a failing tick is survived."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.cli import main
from bot.scheduler import TICK_JOB_ID, DigestClock, ForecasterOnDemand
from bot.services import build_services
from bot.settings import load_settings
from core.ports import Forecaster
from core.stages import Pipeline
from handlers.digest import enqueue_due_digests
from storage.db import create_schema
from tests.test_digest import NEW_YORK_8AM, seed


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'dealbot.db'}"


def test_the_clock_runs_while_the_app_serves(db_url: str) -> None:
    app = create_app(load_settings(database_url=db_url, scheduler_enabled=True))
    with TestClient(app):
        clock: DigestClock = app.state.digest_clock
        assert clock.running
        job = clock.scheduler.get_job(TICK_JOB_ID)
        assert isinstance(job.trigger, CronTrigger) and "second='0'" in str(job.trigger)
        assert (job.max_instances, job.coalesce) == (1, True)
    assert not clock.running
    app.state.services.close()


def test_the_clock_can_be_switched_off(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEALBOT_SCHEDULER_ENABLED", "false")
    app = create_app(load_settings(database_url=db_url))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert not hasattr(app.state, "digest_clock")
    app.state.services.close()


def test_a_tick_queues_the_due_digests_once(db_url: str) -> None:
    services = build_services(load_settings(database_url=db_url))
    create_schema(services.engine)
    seed(services.uow_factory)
    clock = DigestClock(services, FixedClock(NEW_YORK_8AM))
    first = asyncio.run(clock.tick())
    clock.clock = FixedClock(NEW_YORK_8AM + timedelta(minutes=1))
    second = asyncio.run(clock.tick())
    services.close()
    assert first is not None and second is not None
    assert (first.enqueued, second.enqueued, second.already_sent) == (3, 0, 3)


def test_a_failing_tick_is_logged_without_raising(caplog: pytest.LogCaptureFixture) -> None:
    services = build_services(load_settings(database_url="sqlite://"))  # no tables
    clock = DigestClock(services, FixedClock(NEW_YORK_8AM))
    with caplog.at_level(logging.ERROR, logger="dealbot.scheduler"):
        assert asyncio.run(clock.tick()) is None
    services.close()
    assert "digest pass failed: OperationalError (sqlite3.OperationalError) at " in caplog.text


def test_a_failure_is_logged_without_its_message(
    db_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = build_services(load_settings(database_url=db_url))
    create_schema(services.engine)
    seed(services.uow_factory)

    def failing_models(*_: object) -> Forecaster:
        raise RuntimeError("could not rank for ana@example.com (Ana)")

    monkeypatch.setattr(services, "forecaster", failing_models)
    clock = DigestClock(services, FixedClock(NEW_YORK_8AM))
    with caplog.at_level(logging.DEBUG, logger="dealbot"):
        assert asyncio.run(clock.tick()) is None
    services.close()
    assert "digest pass failed: RuntimeError at test_scheduler.py:" in caplog.text
    assert "ana@example.com" not in caplog.text and "Ana" not in caplog.text


def test_models_load_only_when_someone_is_due(db_url: str) -> None:
    services = build_services(load_settings(database_url=db_url))
    create_schema(services.engine)
    seed(services.uow_factory)

    def no_models() -> Forecaster:
        raise AssertionError("models loaded although nobody was due")

    forecaster = ForecasterOnDemand(no_models)
    night = NEW_YORK_8AM - timedelta(hours=12)  # before eight everywhere, a weekday in UTC
    run = enqueue_due_digests(services.uow_factory, forecaster, Pipeline(), at=night)
    services.close()
    assert (run.due, run.enqueued, forecaster.loaded) == (0, 0, False)


def test_tick_command_prints_the_counts(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database-url", db_url, "db", "upgrade"]) == 0
    services = build_services(load_settings(database_url=db_url))
    seed(services.uow_factory)
    services.close()
    args = ["--database-url", db_url, "tick", "--at", "2026-11-23T13:00"]
    assert main(args) == 0
    assert main(args) == 0
    first, second = capsys.readouterr().out.strip().splitlines()[-2:]
    assert first.startswith("Digests as of 2026-11-23 13:00 UTC: 3 due, 3 enqueued, 0 already")
    assert "3 due, 0 enqueued, 3 already sent, 3 not due" in second


def test_tick_command_refuses_a_bad_time(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--database-url", db_url, "tick", "--at", "monday"]) == 2
    assert "'monday' is not a date or time" in capsys.readouterr().err
