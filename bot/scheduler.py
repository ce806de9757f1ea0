"""The scheduler is only a clock: once a minute it asks the database whose digest is due, and
every few seconds which response clocks have a level due (the SLA sweep); once a minute it also
asks whether tonight's retrain (bot.nightly) and any manager's weekly ROI report are due, and
once an hour it forgets idempotency keys past their retention (handlers.forget_keys).

APScheduler 3.x keeps its jobs in process memory, so it decides nothing: each tick runs
`enqueue_due_digests`, and the outbox's unique keys make every digest happen once however many
replicas tick, however often they restart. On PostgreSQL a pass also takes an advisory lock
(`storage.job_locks`): when replicas tick together one does the pass and the others skip it,
instead of ranking the same reps only to find the digests written. A failing tick is logged and
the clock keeps going.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC
from typing import TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]
from fastapi import FastAPI

from bot.failures import failure_summary
from bot.nightly import Retrained, run_nightly_retrain
from bot.services import Services
from core.facts import DealFacts, LeadFacts
from core.ports import Clock, Forecaster
from core.ranking import DealOutlook, LeadOutlook
from handlers.digest import DigestRun, enqueue_due_digests
from handlers.forget_keys import forget_old_keys
from handlers.roi_report import enqueue_due_roi_reports
from handlers.sla_sweep import SweepRun, sweep_response_clocks
from storage.job_locks import pass_lock

log = logging.getLogger("dealbot.scheduler")
T = TypeVar("T")

TICK_JOB_ID = "digest-tick"
SWEEP_JOB_ID = "sla-sweep"
RETRAIN_JOB_ID = "nightly-retrain"
ROI_JOB_ID = "weekly-roi"
FORGET_JOB_ID = "forget-keys"
MISFIRE_GRACE_SECONDS = 50
"""A tick that starts this late (a busy loop, a suspended laptop) still runs; later ones merge."""


class DigestClock:
    """Ticks once a minute inside the app's event loop; `start()` and `stop()` fit a lifespan."""

    def __init__(self, services: Services, clock: Clock | None = None) -> None:
        self.services = services
        self.clock = clock or services.clock
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        jobs = (
            (self.tick, CronTrigger(second=0, timezone=UTC), TICK_JOB_ID),
            (
                self.sweep,
                IntervalTrigger(seconds=services.settings.sla_sweep_seconds, timezone=UTC),
                SWEEP_JOB_ID,
            ),
            (self.weekly_reports, CronTrigger(second=15, timezone=UTC), ROI_JOB_ID),
            (self.retrain, CronTrigger(second=30, timezone=UTC), RETRAIN_JOB_ID),
            (self.forget_keys, CronTrigger(minute=41, second=45, timezone=UTC), FORGET_JOB_ID),
        )
        for job, trigger, job_id in jobs:
            self.scheduler.add_job(
                job,
                trigger,
                id=job_id,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=MISFIRE_GRACE_SECONDS,
            )

    @property
    def running(self) -> bool:
        return bool(self.scheduler.running)

    def start(self) -> None:
        self.scheduler.start()
        log.info("digest clock started: one pass a minute")

    def stop(self) -> None:
        """Stop ticking; a pass already running finishes (or rolls back) on its own thread."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        log.info("digest clock stopped")

    async def tick(self) -> DigestRun | None:
        """One pass on a worker thread; a failure is logged, never raised, so the clock goes on."""
        try:
            run = await asyncio.to_thread(
                run_alone,
                self.services,
                TICK_JOB_ID,
                lambda: run_digest_pass(self.services, self.clock),
            )
        except Exception as error:  # the next tick retries; nothing was half-written
            self.services.metrics.scheduler_ticks.labels(TICK_JOB_ID, "failed").inc()
            log.error("digest pass failed: %s", failure_summary(error))
            return None
        if run is None:  # another replica is making this pass
            return None
        log.log(
            logging.INFO if run.enqueued else logging.DEBUG,  # quiet minutes stay quiet
            "digest pass: %s",
            run.describe(),
        )
        return run

    async def sweep(self) -> SweepRun | None:
        """One SLA sweep on a worker thread; like a tick, a failure is logged and the clock goes on."""
        deps = self.services.desk_deps("scheduler")
        try:
            run = await asyncio.to_thread(
                run_alone, self.services, SWEEP_JOB_ID, lambda: sweep_response_clocks(deps)
            )
        except Exception as error:  # the clock levels stay due; the next sweep fires them
            self.services.metrics.scheduler_ticks.labels(SWEEP_JOB_ID, "failed").inc()
            log.error("SLA sweep failed: %s", failure_summary(error))
            return None
        if run is None:  # another replica is sweeping
            return None
        count_levels(self.services, run)
        if run.due:
            log.info("SLA sweep: %s", run.describe())
            self.services.wake_delivery()
        return run

    async def retrain(self) -> Retrained | None:
        """Tonight's retrain when it is due and this replica claimed it; failures are logged."""
        try:
            return await asyncio.to_thread(run_nightly_retrain, self.services, self.clock)
        except Exception as error:  # tonight's key stays claimed; tomorrow night tries again
            log.error("nightly retrain failed: %s", failure_summary(error))
            return None

    async def weekly_reports(self) -> int | None:
        """Queue the weekly ROI report of every manager whose week has begun without one."""
        settings = self.services.settings
        try:
            written = await asyncio.to_thread(
                enqueue_due_roi_reports,
                self.services.uow_factory,
                at=self.clock.now(),
                pipeline=settings.pipeline,
                destinations=self.services.desk_policy.destinations,
            )
        except Exception as error:  # nothing was written; the next minute tries again
            log.error("weekly report pass failed: %s", failure_summary(error))
            return None
        if written:
            log.info("weekly reports: %d queued", written)
            self.services.wake_delivery()
        return written

    async def forget_keys(self) -> int | None:
        """Forget idempotency keys past their retention; a failure is logged, the next hour retries."""
        services = self.services
        work = functools.partial(
            forget_old_keys,
            services.uow_factory,
            at=self.clock.now(),
            keep_days=services.settings.idempotency_keep_days,
        )
        try:
            forgotten = await asyncio.to_thread(run_alone, services, FORGET_JOB_ID, work)
        except Exception as error:  # what went is gone for good; the rest waits for the next hour
            services.metrics.scheduler_ticks.labels(FORGET_JOB_ID, "failed").inc()
            log.error("forgetting old idempotency keys failed: %s", failure_summary(error))
            return None
        if forgotten:
            log.info("forgot %d idempotency keys past their retention", forgotten)
        return forgotten


def run_alone(services: Services, job: str, work: Callable[[], T]) -> T | None:
    """`work()`, unless another replica is running `job` right now (then None); counted."""
    with pass_lock(services.engine, job) as mine:
        if not mine:
            services.metrics.scheduler_ticks.labels(job, "skipped").inc()
            return None
        done = work()
    services.metrics.scheduler_ticks.labels(job, "ran").inc()
    return done


def count_levels(services: Services, run: SweepRun) -> None:
    levels = services.metrics.sla_levels
    for level, fired in (("reminder", run.reminders), ("breach", run.breaches),
                         ("escalation", run.escalations)):  # fmt: skip
        if fired:
            levels.labels(level).inc(fired)


def run_digest_pass(services: Services, clock: Clock) -> DigestRun:
    """One enqueue pass as of the clock's now; the models are looked at only when someone is due."""
    settings = services.settings
    return enqueue_due_digests(
        services.uow_factory,
        ForecasterOnDemand(services.forecaster),
        settings.pipeline,
        at=clock.now(),
        size=settings.digest_size,
        destinations=services.desk_policy.destinations,
    )


class ForecasterOnDemand:
    """Loads the newest models the first time a pass needs them: most passes find nobody due."""

    def __init__(self, load: Callable[[], Forecaster]) -> None:
        self._load = load
        self._loaded: Forecaster | None = None

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    def _forecaster(self) -> Forecaster:
        if self._loaded is None:
            self._loaded = self._load()
        return self._loaded

    def deal_outlooks(self, facts: Sequence[DealFacts]) -> dict[int, DealOutlook]:
        return self._forecaster().deal_outlooks(facts)

    def lead_outlooks(self, facts: Sequence[LeadFacts]) -> dict[int, LeadOutlook]:
        return self._forecaster().lead_outlooks(facts)

    def quiet_after_days(self) -> dict[str, float]:
        return self._forecaster().quiet_after_days()

    def explain_deal(self, facts: DealFacts, top: int = 3) -> list[str]:
        return self._forecaster().explain_deal(facts, top)


@asynccontextmanager
async def digest_clock_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """FastAPI lifespan: the clock runs while the app serves, when DEALBOT_SCHEDULER_ENABLED."""
    services: Services = app.state.services
    if not services.settings.scheduler_enabled:
        yield
        return
    clock = DigestClock(services)
    app.state.digest_clock = clock
    clock.start()
    try:
        yield
    finally:
        clock.stop()
