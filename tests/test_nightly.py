"""Nightly retraining: from the configured hour, once per UTC date, on exactly one replica."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

from bot.nightly import claim_nightly_retrain, run_nightly_retrain
from bot.scheduler import RETRAIN_JOB_ID, DigestClock
from bot.services import build_services
from bot.settings import load_settings
from handlers.seed import seed_demo
from storage.db import create_engine_for, create_schema

NIGHT = datetime(2026, 11, 24, 2, 0, 30, tzinfo=UTC)


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def _replicas(database_url: str, n: int, **settings: object) -> list:
    engine = create_engine_for(database_url)
    create_schema(engine)
    engine.dispose()
    return [build_services(load_settings(database_url=database_url, **settings)) for _ in range(n)]


def test_one_replica_claims_each_night_from_the_hour(database_url):
    replicas = _replicas(database_url, 4, retrain_hour_utc=2)
    try:
        assert not claim_nightly_retrain(replicas[0], NIGHT - timedelta(minutes=5))
        results: list[bool] = []
        threads = [
            threading.Thread(target=lambda s=s: results.append(claim_nightly_retrain(s, NIGHT)))
            for s in replicas
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [False, False, False, True]
        assert not claim_nightly_retrain(replicas[1], NIGHT + timedelta(hours=20))
        assert claim_nightly_retrain(replicas[2], NIGHT + timedelta(days=1))
    finally:
        for services in replicas:
            services.close()


def test_the_nightly_pass_trains_once_and_stores_promoted_versions(tmp_path):
    (services,) = _replicas(f"sqlite:///{tmp_path / 'night.db'}", 1, retrain_hour_utc=2)
    try:
        seed_demo(services.uow_factory, seed=3, now=NIGHT - timedelta(hours=6))
        assert run_nightly_retrain(services, FixedClock(NIGHT - timedelta(hours=1))) is None
        done = run_nightly_retrain(services, FixedClock(NIGHT))
        assert done is not None and set(done.report.versions) == {"deal", "lead"}
        assert all(p.promoted for p in done.report.promotions.values())
        assert run_nightly_retrain(services, FixedClock(NIGHT + timedelta(minutes=1))) is None
        with services.uow_factory() as uow:
            kinds = sorted(v.kind for v in uow.model_versions.history())
            assert uow.model_versions.latest("deal")[0] == done.report.versions["deal"]
        assert kinds == ["action_effects", "deal", "lead"]
        clock = DigestClock(services, FixedClock(NIGHT + timedelta(days=1)))
        assert clock.scheduler.get_job(RETRAIN_JOB_ID) is not None
        again = asyncio.run(clock.retrain())
        assert again is not None and again.report.promotions["deal"].live_version is not None
    finally:
        services.close()
