"""How many webhook deliveries are stored at once, and how many may wait for their turn.

Every delivery's transaction writes from its first statement (the idempotency key), and on
SQLite writers take turns anyway, so a few threads store as many leads a second as forty do;
forty threads only fight over the interpreter and the writer's turn, and each lead takes longer
(`DEALBOT_WEBHOOK_CONCURRENCY`: unset, one on SQLite and eight on PostgreSQL).
Past what the machine can store, waiting deliveries would pile up until every answer came too
late for its sender and connections timed out. So at most `queue` wait: the next one is answered
503 with Retry-After at once, a sender's ordinary retry, and the idempotency key makes that retry
safe. The app keeps storing at its full rate instead of falling behind everyone at once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")


class Busy(Exception):
    """More deliveries are waiting than the queue holds."""


class IntakeGate:
    def __init__(self, concurrency: int, queue: int) -> None:
        self.concurrency = concurrency
        self.queue = queue
        self._limiter: anyio.CapacityLimiter | None = None  # made in the event loop, on first use
        self._waiting = 0

    @property
    def waiting(self) -> int:
        return self._waiting

    async def run(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`work(*args, **kwargs)` in a worker thread when a turn is free; Busy when too many wait."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.concurrency)
        full = self._limiter.borrowed_tokens >= self.concurrency
        if full and self._waiting >= self.queue:
            raise Busy
        self._waiting += 1
        try:
            await self._limiter.acquire()
        finally:
            self._waiting -= 1
        try:
            return await anyio.to_thread.run_sync(functools.partial(work, *args, **kwargs))
        finally:
            self._limiter.release()
