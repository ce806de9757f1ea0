"""When the next message may go: a global rate, one message a second per channel, and pauses.

Slack allows about one `chat.postMessage` a second per channel, plus a workspace-wide budget, and
answers 429 with Retry-After when either is exceeded. The pacer keeps both by itself (the global
rate is `DEALBOT_DELIVERY_RATE_PER_SECOND`), and turns a 429 into a pause. Teams allows a bot 7
messages a second in one conversation but only 60 in 30 seconds, so its conversations get one
message every half second (`platform_intervals`); its 429s are handled the same way:

- A channel may take a short burst (`channel_burst` messages at once, then one per interval),
  as Slack allows: "1 per second, short bursts >1 allowed". Two hot leads for one team a moment
  apart then both reach its channel at once instead of the second waiting a second.
- A 429 pauses the channel it came from for Retry-After, and it then gets no burst until it has
  been quiet for a while. A per-channel limit then stalls only that
  channel; other reps' digests keep flowing.
- A workspace-wide limit answers 429 on every channel. When most of the recent answers are 429s,
  the pacer pauses all sends for the longest Retry-After it saw, so it stops knocking.
- A 429 gives its slot back: the global rate counts messages Slack accepted, and the pauses above
  are what slow down on a real limit.

Time comes from an injected `Timer`, so tests run the pacing on a fake clock without waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Mapping
from typing import Protocol

RECENT = 20
"""Answers remembered to tell a workspace-wide limit from a busy channel."""
CHANNELS_KEPT = 10_000
"""Channel slots remembered before the ones already in the past are forgotten."""


class Timer(Protocol):
    def monotonic(self) -> float: ...
    async def sleep(self, seconds: float) -> None: ...


class RealTimer:
    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class Pacer:
    """Hands out send slots; call `turn(channel)` before each send and report 429s back."""

    def __init__(
        self,
        rate_per_second: float,
        channel_interval: float = 1.0,
        timer: Timer | None = None,
        platform_intervals: Mapping[str, float] | None = None,
        channel_burst: int = 1,
    ) -> None:
        if rate_per_second <= 0:
            raise ValueError("the delivery rate must be above zero")
        self.interval = 1.0 / rate_per_second
        self.channel_interval = channel_interval
        self.platform_intervals = dict(platform_intervals or {})
        self.channel_burst = max(1, channel_burst)
        self.timer = timer or RealTimer()
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._channel_free: dict[str, float] = {}
        """Per channel, when its bucket is empty again: a message may go `burst - 1` intervals
        before that (the generic cell rate algorithm, a token bucket kept as one number)."""
        self._recent: deque[float | None] = deque(maxlen=RECENT)

    def interval_of(self, channel: str) -> float:
        """Seconds between two messages to `channel` (`<platform>:<target>`) on its platform."""
        platform = channel.partition(":")[0]
        return self.platform_intervals.get(platform, self.channel_interval)

    def channel_wait(self, channel: str, ahead: int = 0) -> float:
        """Seconds until `channel` may send again (after `ahead` more), as things stand now."""
        now = self.timer.monotonic()
        free = max(self._channel_free.get(channel, 0.0), now)
        interval = self.interval_of(channel)
        return max(0.0, free + ahead * interval - self._tolerance(interval) - now)

    def _tolerance(self, interval: float) -> float:
        return (self.channel_burst - 1) * interval

    async def turn(self, channel: str) -> None:
        """Wait until both the channel and the global rate allow one more message, and take it."""
        while True:
            now = self.timer.monotonic()
            interval = self.interval_of(channel)
            free = self._channel_free.get(channel, 0.0)
            wait = max(self._paused_until, free - self._tolerance(interval)) - now
            if wait > 0:
                await self.timer.sleep(wait)
                continue
            slot = max(now, self._next_slot)
            self._next_slot = slot + self.interval
            self._channel_free[channel] = max(free, slot) + interval
            if slot > now:
                await self.timer.sleep(slot - now)
            if self._paused_until <= self.timer.monotonic():
                self._forget_old_channels()
                return

    def accepted(self) -> None:
        self._recent.append(None)

    def rate_limited(self, channel: str, retry_after: float) -> None:
        """A 429 on `channel`: pause it, give the slot back, pause everything if 429s dominate."""
        now = self.timer.monotonic()
        after = now + retry_after + self._tolerance(self.interval_of(channel))
        self._channel_free[channel] = max(self._channel_free.get(channel, 0.0), after)
        self._next_slot = max(now, self._next_slot - self.interval)
        self._recent.append(retry_after)
        limited = [r for r in self._recent if r is not None]
        if len(self._recent) == RECENT and len(limited) * 2 > RECENT:
            self._paused_until = max(self._paused_until, now + max(limited))
            self._recent.clear()

    @property
    def paused_for(self) -> float:
        """Seconds left of a pause of all sends (0 when none)."""
        return max(0.0, self._paused_until - self.timer.monotonic())

    def _forget_old_channels(self) -> None:
        if len(self._channel_free) > CHANNELS_KEPT:
            now = self.timer.monotonic()
            self._channel_free = {c: t for c, t in self._channel_free.items() if t > now}
