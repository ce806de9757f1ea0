"""The delivery worker: claims due outbox rows, sends them at a steady pace, settles each row.

One round (`run_once`) claims a batch under a lease, sends it through the platform's messenger
(at most `rate_per_second` messages a second overall, about one a second per channel, a few in
flight at once), and records each outcome in the table as soon as it is known (outcomes that
arrive while one write is under way go in the next, one transaction for all of them; see
`bot.delivery.settling`):

- sent: marked sent, with the attempt counted;
- 429: the channel pauses for Retry-After and the row comes back due after it, its attempts
  unchanged (see `bot.delivery.pacing` for how a workspace-wide limit pauses everything);
- 5xx, a timeout or a dropped connection: retried after an exponential backoff with jitter
  (`backoff_base` x 2^(attempt-1), capped, then a random point in its upper half so a burst of
  failures does not come back as a burst), and dead after `max_attempts` attempts;
- a permanent error (no such channel, revoked token): dead at once, for a person to look at.

Dead rows wait for `dealbot outbox retry`. The row is the truth: a crash, a restart or a second
replica picks up where this one stopped (the lease makes stale rows due again), and a row is
only settled by the claim that holds it, so nothing is lost or sent twice by the worker.
`start()`/`stop()` run rounds in the background for the app's lifespan.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from bot.delivery.messenger import (
    Messenger,
    Outcome,
    PermanentFailure,
    RateLimited,
    Sent,
    TransientFailure,
)
from bot.delivery.pacing import Pacer, RealTimer, Timer
from bot.delivery.reconcile import earlier_delivery, outcome_unknown
from bot.delivery.settling import Settler
from bot.failures import failure_summary
from bot.metrics import Metrics
from core.ports import Clock, OutboxItem
from storage.delivery import Claim, OutboxQueue, Settlement, dead, released, retry, sent

log = logging.getLogger("dealbot.delivery")


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    rate_per_second: float = 10.0
    max_attempts: int = 6
    channel_interval: float = 1.0
    """Seconds between two messages to one channel (Slack: about one a second)."""
    platform_intervals: Mapping[str, float] = field(default_factory=lambda: {"teams": 0.5})
    """The same for platforms with other limits (Teams: 60 messages in 30 s per conversation)."""
    channel_burst: int = 3
    """Messages one channel may take at once before the interval applies (Slack: "short bursts
    >1 allowed"; Teams: 7 a second per conversation); a 429 still pauses the channel."""
    batch_size: int = 0
    """Rows per claim; 0 means two seconds' worth at the rate, at least 10 and at most 100 (a
    bigger claim mostly holds rows that must go back for their busy channel)."""
    lease: timedelta = timedelta(minutes=5)
    lease_margin: timedelta = timedelta(seconds=30)
    """A row not sent this close to the end of its lease goes back instead of racing it."""
    hold_per_channel: float = 0.5
    """A row that would wait longer than this for its channel goes back to the table, due when
    the channel is free: a round never waits behind a busy channel while other rows are due."""
    concurrency: int = 8
    """Sends in flight at once (each waits for its slot, then for Slack's answer)."""
    backoff_base: float = 10.0
    backoff_cap: float = 600.0
    poll_interval: float = 1.0
    edit_wait: float = 1.0
    """Seconds an edit waits when the message it edits has not gone out yet."""

    @property
    def claim_size(self) -> int:
        return self.batch_size or max(10, min(100, int(self.rate_per_second * 2)))


@dataclass
class Tally:
    """What one round did, for logs and tests."""

    claimed: int = 0
    sent: int = 0
    rate_limited: int = 0
    retrying: int = 0
    dead: int = 0
    released: int = 0
    lost: int = 0
    """Rows whose lease another claim took over before this worker could settle them."""


class _UtcClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class _Batch:
    claim: Claim
    tally: Tally = field(default_factory=Tally)


class DeliveryWorker:
    """Delivers outbox rows of the platforms in `messengers` (e.g. {"slack": SlackMessenger})."""

    def __init__(
        self,
        queue: OutboxQueue,
        messengers: Mapping[str, Messenger],
        policy: DeliveryPolicy | None = None,
        *,
        clock: Clock | None = None,
        timer: Timer | None = None,
        rng: random.Random | None = None,
        name: str = "worker",
        metrics: Metrics | None = None,
    ) -> None:
        self.queue = queue
        self.settler = Settler(queue)
        self.messengers = dict(messengers)
        self.policy = policy or DeliveryPolicy()
        self.clock = clock or _UtcClock()
        self.timer = timer or RealTimer()
        self.rng = rng or random.Random()
        self.name = name
        self.metrics = metrics or Metrics()
        self.pacer = Pacer(
            self.policy.rate_per_second,
            self.policy.channel_interval,
            self.timer,
            self.policy.platform_intervals,
            self.policy.channel_burst,
        )
        self._stopping = False
        self._wake = asyncio.Event()
        self._soonest = float("inf")
        """When a row this worker put back becomes due (monotonic): the nap ends by then."""
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> Tally:
        """Claim one batch of due rows and deliver it; returns what happened."""
        if self.pacer.paused_for > 0:
            await self.timer.sleep(self.pacer.paused_for)
        claim = await asyncio.to_thread(
            self.queue.claim,
            worker=self.name,
            at=self.clock.now(),
            limit=self.policy.claim_size,
            lease=self.policy.lease,
            platforms=sorted(self.messengers),
        )
        batch = _Batch(claim, Tally(claimed=len(claim.items)))
        plan = iter(self._plan(claim.items))

        async def sender() -> None:
            for item, channel, wait in plan:  # senders share one iterator: each row once
                await self._deliver(item, channel, wait, batch)

        await asyncio.gather(*(sender() for _ in range(self.policy.concurrency)))
        return batch.tally

    def _plan(self, items: list[OutboxItem]) -> list[tuple[OutboxItem, str, float]]:
        """Rows with their channel and expected channel wait, each channel's first rows first.

        A few senders take rows in this order, so each holds at most one reserved send slot: a
        slot a 429 gives back goes to the next row at once instead of one queued far ahead, and
        a second row for a busy channel comes after every other channel's first one.
        """
        seen: dict[str, int] = {}
        planned = []
        for item in items:
            channel = f"{item.platform}:{item.target}"
            position = seen.get(channel, 0)
            seen[channel] = position + 1
            wait = self.pacer.channel_wait(channel, ahead=position)
            planned.append((position, item, channel, wait))
        planned.sort(key=lambda row: row[0])  # stable: claim order within a position
        return [(item, channel, wait) for _, item, channel, wait in planned]

    async def _deliver(self, item: OutboxItem, channel: str, wait: float, batch: _Batch) -> None:
        if item.attempts >= self.policy.max_attempts:  # attempts used up by lost leases
            reason = item.last_error or "too many attempts"
            await self._dead(item, batch, reason, count_attempt=False)
            return
        if self._stopping or wait > self.policy.hold_per_channel:
            await self._release(item, batch, after=wait)
            return
        edit_of = item.payload.get("edit_of")
        if isinstance(edit_of, str):
            found = await self._original(item, edit_of, batch)
            if found is None:
                return
            item = found
        if outcome_unknown(item) and await self._settled_by_earlier_delivery(item, channel, batch):
            return
        await self.pacer.turn(channel)
        if self._stopping or self.clock.now() >= batch.claim.until - self.policy.lease_margin:
            await self._release(item, batch, after=0.0)
            return
        outcome = await self._send(item)
        await self._record(item, channel, outcome, batch)

    async def _original(self, item: OutboxItem, edit_of: str, batch: _Batch) -> OutboxItem | None:
        """The edit with where its original landed; None when it was put back or given up."""
        landed = await asyncio.to_thread(self.queue.landed, edit_of)
        if landed is None or landed[0] == "dead":
            await self._dead(item, batch, "the message it edits was not delivered", False)
            return None
        status, reference = landed
        if status != "sent":  # the original is still on its way: edit after it
            await self._release(item, batch, after=self.policy.edit_wait)
            return None
        if reference is None:
            await self._dead(item, batch, "the message it edits has no reference", False)
            return None
        return replace(item, edit_ref=reference)

    async def _settled_by_earlier_delivery(
        self, item: OutboxItem, channel: str, batch: _Batch
    ) -> bool:
        """True when the row was settled without a send (see `bot.delivery.reconcile`): marked
        sent because the platform has it, or put back still unsure because the check failed."""
        found = await earlier_delivery(self.messengers[item.platform], item)
        if found is None:
            return False
        if isinstance(found, Sent):
            self.metrics.found_delivered.labels(item.platform).inc()
            await self._record(item, channel, found, batch)
            return True
        unsure = item.last_error or ""
        if isinstance(found, RateLimited):
            self.metrics.retries.labels(item.platform, "unsure").inc()
            await self._retry(item, batch, found.retry_after, unsure, count_attempt=False)
        elif item.attempts + 1 >= self.policy.max_attempts:
            reason = found.reason if isinstance(found, TransientFailure) else ""
            await self._dead(item, batch, f"an earlier delivery could not be ruled out: {reason}")
        else:
            self.metrics.retries.labels(item.platform, "unsure").inc()
            await self._retry(item, batch, self.backoff(item.attempts + 1), unsure)
        return True

    async def _send(self, item: OutboxItem) -> Outcome:
        try:
            return await self.messengers[item.platform].send(item)
        except Exception as error:  # a messenger bug must not stop the other rows
            why = failure_summary(error)
            log.error("outbox %s: the %s messenger raised %s", item.id, item.platform, why)
            return TransientFailure(f"messenger raised {type(error).__name__}")

    async def _record(
        self, item: OutboxItem, channel: str, outcome: Outcome, batch: _Batch
    ) -> None:
        token = batch.claim.token
        if isinstance(outcome, Sent):
            self.pacer.accepted()
            batch.tally.sent += 1
            self.metrics.deliveries.labels(item.platform).inc()
            at = self.clock.now()
            await self._settled(
                item, batch, sent(item.id, token=token, at=at, reference=outcome.reference)
            )
        elif isinstance(outcome, RateLimited):
            self.pacer.rate_limited(channel, outcome.retry_after)
            batch.tally.rate_limited += 1
            self.metrics.retries.labels(item.platform, "rate_limited").inc()
            error = f"rate limited (Retry-After {outcome.retry_after:g}s)"
            await self._retry(item, batch, outcome.retry_after, error, count_attempt=False)
        elif isinstance(outcome, TransientFailure):
            self.pacer.accepted()
            if item.attempts + 1 >= self.policy.max_attempts:
                await self._dead(item, batch, outcome.reason)
            else:
                batch.tally.retrying += 1
                self.metrics.retries.labels(item.platform, "failed").inc()
                delay = self.backoff(item.attempts + 1)
                await self._retry(item, batch, delay, outcome.reason)
        elif isinstance(outcome, PermanentFailure):
            await self._dead(item, batch, outcome.reason)

    def backoff(self, attempt: int) -> float:
        """Seconds before retry number `attempt`: exponential, capped, jittered in its upper half."""
        nominal = min(self.policy.backoff_cap, self.policy.backoff_base * 2 ** (attempt - 1))
        return nominal / 2 + self.rng.uniform(0, nominal / 2)

    async def _retry(
        self, item: OutboxItem, batch: _Batch, after: float, error: str, count_attempt: bool = True
    ) -> None:
        due = self.clock.now() + timedelta(seconds=after)
        token = batch.claim.token
        later = retry(item.id, token=token, due=due, error=error, count_attempt=count_attempt)
        await self._settled(item, batch, later)

    async def _dead(
        self, item: OutboxItem, batch: _Batch, reason: str, count_attempt: bool = True
    ) -> None:
        batch.tally.dead += 1
        self.metrics.dead_letters.labels(item.platform).inc()
        log.warning("outbox %s (%s) is dead: %s", item.id, item.key, reason)
        token = batch.claim.token
        given_up = dead(item.id, token=token, error=reason, count_attempt=count_attempt)
        if await self._settled(item, batch, given_up):
            await self._tell_gave_up(item, reason)

    async def _tell_gave_up(self, item: OutboxItem, reason: str) -> None:
        """A messenger that asks (`gave_up`) hears of each of its rows now in the dead letters,
        whichever way the row got there; once, after the row is stored dead."""
        gave_up = getattr(self.messengers.get(item.platform), "gave_up", None)
        if gave_up is None:
            return
        try:
            await gave_up(item, reason)
        except Exception as error:  # the row stays dead; only the follow-up is missing
            log.error("outbox %s: telling of its death failed: %s", item.id, failure_summary(error))

    async def _release(self, item: OutboxItem, batch: _Batch, after: float) -> None:
        batch.tally.released += 1
        at = self.clock.now() + timedelta(seconds=after)
        self._soonest = min(self._soonest, self.timer.monotonic() + after)
        await self._settled(item, batch, released(item.id, token=batch.claim.token, at=at))

    async def _settled(self, item: OutboxItem, batch: _Batch, settlement: Settlement) -> bool:
        """Whether the settlement was stored (False: the lease was lost to another worker)."""
        if await self.settler.settle(settlement):
            return True
        batch.tally.lost += 1
        log.warning("outbox %s: lease lost before it was settled", item.id)
        return False

    # --- background life cycle ------------------------------------------------------------------

    def start(self) -> None:
        """Run rounds in the background on the running event loop until `stop()`."""
        if self._task is None:
            self._stopping = False
            self._task = asyncio.get_running_loop().create_task(self._rounds(), name=self.name)

    def wake(self) -> None:
        """Look for due rows now instead of at the next poll (a hot-lead alert was just written)."""
        self._wake.set()

    async def stop(self) -> None:
        """Finish the sends in flight, hand unsent claimed rows back, close the messengers."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None
        await asyncio.gather(*(m.aclose() for m in self.messengers.values()))

    async def _rounds(self) -> None:
        while not self._stopping:
            self._wake.clear()  # from here on, a wake means rows written after this claim
            try:
                tally = await self.run_once()
            except Exception as error:  # the database may be briefly away; rows wait in the table
                log.error("delivery round failed; trying again shortly: %s", failure_summary(error))
                tally = Tally()
            if not self._more_due(tally) and not self._stopping:
                until_due = self._soonest - self.timer.monotonic()
                self._soonest = float("inf")
                nap = max(0.0, min(self.policy.poll_interval, until_due))
                await _nap(self._wake.wait(), nap)

    def _more_due(self, tally: Tally) -> bool:
        """Whether the next round should claim at once: the claim was full, so more rows may be
        waiting. New rows wake the worker themselves, so a round that took everything due
        naps (a wake during the round ends the nap at once) instead of claiming an empty batch
        after every webhook."""
        return tally.claimed >= self.policy.claim_size and tally.claimed > tally.released


async def _nap(wake: Awaitable[object], seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(wake, timeout=seconds)
