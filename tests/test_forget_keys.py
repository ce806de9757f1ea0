"""Idempotency keys past their retention are forgotten, a chunk at a time; newer ones stay."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from bot.scheduler import FORGET_JOB_ID, DigestClock
from bot.services import build_services
from bot.settings import load_settings
from handlers.forget_keys import forget_old_keys
from storage.db import create_engine_for, create_schema
from storage.tables import IdempotencyKeyRow
from storage.uow import UnitOfWorkFactory
from tests.test_nightly import FixedClock

NOW = datetime(2026, 11, 24, 12, 41, 45, tzinfo=UTC)


def _keys(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(select(IdempotencyKeyRow.key)).scalars())


def test_keys_older_than_the_retention_go_in_chunks_and_the_rest_stay(database_url: str) -> None:
    engine = create_engine_for(database_url)
    create_schema(engine)
    factory = UnitOfWorkFactory(engine)
    ages = {f"old-{n}": timedelta(days=31, minutes=n) for n in range(7)}
    ages |= {"edge": timedelta(days=30), "young": timedelta(days=29), "today": timedelta(0)}
    with factory() as uow:
        for key, age in ages.items():
            assert uow.idempotency.claim(key, at=NOW - age)
        uow.idempotency.set_result("old-0", "lead:1")
        uow.commit()
    try:
        forgotten = forget_old_keys(factory, at=NOW, keep_days=30, chunk=3)
        assert forgotten == 7  # three chunks: 3, 3, 1
        assert _keys(engine) == {"edge", "young", "today"}
        assert forget_old_keys(factory, at=NOW, keep_days=30, chunk=3) == 0
        with factory() as uow:
            assert not uow.idempotency.claim("young", at=NOW)  # still a repeat
            assert uow.idempotency.claim("old-0", at=NOW)  # forgotten: new again
            assert uow.idempotency.result("old-0") is None
    finally:
        engine.dispose()


def test_a_repeated_delivery_within_the_retention_is_still_a_no_op(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.test_webhooks import LEADS, SARAH, hook_app

    url = f"sqlite:///{tmp_path / 'keys.db'}"
    with hook_app(url) as hook:
        first = hook.post(LEADS, SARAH, key="form-1")
        assert first.status_code == 202
        later = hook.services.clock.now() + timedelta(days=29)
        assert forget_old_keys(hook.services.uow_factory, at=later, keep_days=30) == 0
        again = hook.post(LEADS, SARAH, key="form-1")
        assert again.status_code == 200
        assert again.json()["status"] == "duplicate"
        assert again.json()["lead_id"] == first.json()["lead_id"]
        assert (
            forget_old_keys(hook.services.uow_factory, at=later + timedelta(days=2), keep_days=30)
            == 1
        )


def test_the_hourly_job_forgets_with_the_configured_retention(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'hourly.db'}"
    engine = create_engine_for(url)
    create_schema(engine)
    engine.dispose()
    services = build_services(load_settings(database_url=url, idempotency_keep_days=7))
    try:
        with services.uow_factory() as uow:
            uow.idempotency.claim("slack-event:Ev1", at=NOW - timedelta(days=8))
            uow.idempotency.claim("slack-event:Ev2", at=NOW - timedelta(days=6))
            uow.commit()
        clock = DigestClock(services, FixedClock(NOW))
        job = clock.scheduler.get_job(FORGET_JOB_ID)
        assert job is not None and str(job.trigger) == "cron[minute='41', second='45']"
        assert asyncio.run(clock.forget_keys()) == 1
        assert _keys(services.engine) == {"slack-event:Ev2"}
    finally:
        services.close()
