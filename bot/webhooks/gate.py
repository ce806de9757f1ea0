"""How many webhook deliveries are stored at once, and how many may wait for their turn.

Every delivery's transaction writes from its first statement (the idempotency key), and on
SQLite writers take turns anyway, so a few threads store as many leads a second as forty do;
forty threads only fight over the interpreter and the writer's turn, and each lead takes longer
(`DEALBOT_WEBHOOK_CONCURRENCY`: unset, one on SQLite and eight on PostgreSQL).
Past what the machine can store, waiting deliveries would pile up until every answer came too
late for its sender and connections timed out. So at most `queue` wait: the next one is answered
503 with Retry-After at once, a sender's ordinary retry, and the idempotency key makes that retry
safe. The app keeps storing at its full rate instead of falling behind everyone at once.

With `processes` (a factory of a process pool, see `bot.webhooks.storing`) the work runs in
those processes instead of threads; a pool whose process died is replaced for the next turn.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")


class Busy(Exception):
    """More deliveries are waiting than the queue holds."""


class ProcessLost(Exception):
    """The storing process died during this delivery: nothing of it was committed."""


class IntakeGate:
    def __init__(
        self, concurrency: int, queue: int, processes: Callable[[], Executor] | None = None
    ) -> None:
        self.concurrency = concurrency
        self.queue = queue
        self._limiter: anyio.CapacityLimiter | None = None  # made in the event loop, on first use
        self._waiting = 0
        self._new_pool = processes
        self._pool = processes() if processes is not None else None

    @property
    def in_processes(self) -> bool:
        return self._pool is not None

    def warm_up(self, probe: Callable[[], object], timeout: float) -> None:
        """Wait until the processes answer `probe`: at startup, so the first leads do not wait."""
        if self._pool is not None:
            self._pool.submit(probe).result(timeout=timeout)

    def close(self) -> None:
        """Stop taking deliveries; one being stored finishes (or rolls back) first."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

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
            call = functools.partial(work, *args, **kwargs)
            if self._pool is None:
                return await anyio.to_thread.run_sync(call)
            return await self._in_process(self._pool, call)
        finally:
            self._limiter.release()

    async def _in_process(self, pool: Executor, call: Callable[[], T]) -> T:
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, call)
        except BrokenProcessPool:
            if self._pool is pool and self._new_pool is not None:  # the first to notice replaces it
                pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()
            raise ProcessLost from None
