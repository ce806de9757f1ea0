"""The emulator's controls over the world: fire an inbound lead, move the clock, deliver.

A simulated lead goes through the webhook's own intake handler, so scoring, routing, the channel
alert, the owner's DM and the response clock all happen for real. After the clock moves, the
scheduler's two jobs (the digest pass and the SLA sweep) run at the new time and the outbox is
delivered at once, so the page shows what that moment brings without waiting for the next tick.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from random import Random
from zoneinfo import ZoneInfo

from bot.delivery.worker import DeliveryPolicy, DeliveryWorker
from bot.emulator.clock import EmulatedClock
from bot.emulator.messenger import EmulatorMessenger
from bot.scheduler import run_digest_pass
from bot.services import Services
from core.demo_inbound import simulated_lead
from core.intake import LeadSubmission
from core.model import Rep
from core.schedule import zone_is_known
from handlers.intake import IntakeResult, receive_lead
from handlers.sla_sweep import sweep_response_clocks
from handlers.targets import EMULATOR
from storage.delivery import OutboxQueue
from storage.emulator import EmulatorTranscript

DELIVERY_POLICY = DeliveryPolicy(
    rate_per_second=1000.0, channel_interval=0.0, platform_intervals={}, poll_interval=0.2
)
"""Nothing to pace: the emulator's "platform" is a table in the same database."""
DRAIN_ROUNDS = 20
MAX_ADVANCE = timedelta(days=14)


@dataclass
class EmulatorDesk:
    services: Services
    clock: EmulatedClock
    transcript: EmulatorTranscript
    worker: DeliveryWorker = field(init=False)
    rng: Random = field(default_factory=Random)

    def __post_init__(self) -> None:
        messenger = EmulatorMessenger(self.transcript, self.clock)
        self.worker = DeliveryWorker(
            OutboxQueue(self.services.engine),
            {EMULATOR: messenger},
            DELIVERY_POLICY,
            clock=self.clock,
            name=f"emulator:{uuid.uuid4().hex[:8]}",
            metrics=self.services.metrics,
        )

    async def fire_lead(self, submission: LeadSubmission) -> IntakeResult:
        deps = self.services.desk_deps("emulator")
        key = f"emulator:{uuid.uuid4().hex}"
        result = await asyncio.to_thread(receive_lead, submission, deps, delivery_key=key)
        await self.deliver()
        return result

    async def fire_random_lead(self) -> IntakeResult:
        return await self.fire_lead(simulated_lead(self.rng, hot=self.rng.random() < 0.7))

    async def advance(self, by: timedelta) -> datetime:
        if not timedelta(0) < by <= MAX_ADVANCE:
            raise ValueError(f"Move the clock forward by 1 minute to {MAX_ADVANCE.days} days.")
        self.clock.advance(by)
        await self.run_jobs()
        return self.clock.now()

    async def next_morning(self, rep: Rep) -> datetime:
        """To the start of the rep's next working day (08:00 unless they start at another time)."""
        self.clock.jump_to(next_working_morning(rep, self.clock.now()))
        await self.run_jobs()
        return self.clock.now()

    async def run_jobs(self) -> None:
        """The scheduler's jobs at the emulated now, then delivery of what they queued."""
        await asyncio.to_thread(run_digest_pass, self.services, self.clock)
        await asyncio.to_thread(sweep_response_clocks, self.services.desk_deps("scheduler"))
        await self.deliver()

    async def deliver(self) -> None:
        """Send what is due to the emulator now (the background worker would, a moment later)."""
        for _ in range(DRAIN_ROUNDS):
            tally = await self.worker.run_once()
            if tally.claimed == tally.released:
                return


def next_working_morning(rep: Rep, now: datetime) -> datetime:
    """The start of the rep's first working day after today, in their time zone."""
    zone = ZoneInfo(rep.time_zone if zone_is_known(rep.time_zone) else "UTC")
    day = now.astimezone(zone).date() + timedelta(days=1)
    for _ in range(14):
        if day.weekday() in rep.working_days and day not in rep.holidays:
            break
        day += timedelta(days=1)
    return datetime.combine(day, rep.work_start, tzinfo=zone)
