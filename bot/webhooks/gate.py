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
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")
REPLACE_EVERY = 1.0
"""Seconds between replacements of a pool whose process died."""
CLOSE_SECONDS = 10.0


class Busy(Exception):
    """More deliveries are waiting than the queue holds."""


class ProcessLost(Exception):
    """The storing process died during this delivery: nothing of it was committed."""


class _Refusing(Executor):
    """Stands in for a pool replaced too recently: every call fails as a lost process would,
    and the next failure after `REPLACE_EVERY` makes a new pool."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        raise BrokenProcessPool("replaced less than a second ago")


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
        self._replaced_at = -REPLACE_EVERY
        self._closed = False

    def warm_up(self, probe: Callable[[float], object], processes: int, timeout: float) -> None:
        """Wait until every process answers `probe`, at startup, so no lead waits for one.

        A pool starts a process for a call only when none is idle, so each probe keeps its
        process busy for a moment, and the next probe needs another process.
        """
        if self._pool is not None:
            probes = [self._pool.submit(probe, 0.2) for _ in range(processes)]
            for started in probes:
                started.result(timeout=timeout)

    def close(self) -> None:
        """Stop taking deliveries; waits up to `CLOSE_SECONDS` for the processes to end.

        A process still stuck past that (a database call that never returns) is terminated,
        and the database rolls its transaction back.
        """
        self._closed = True
        pool, self._pool = self._pool, None
        if pool is None:
            return
        ending = threading.Thread(
            target=pool.shutdown, kwargs={"cancel_futures": True}, daemon=True
        )
        ending.start()
        ending.join(CLOSE_SECONDS)
        if ending.is_alive():  # stuck: end the processes (the pool has no public way before 3.14)
            for process in dict(getattr(pool, "_processes", None) or {}).values():
                process.terminate()

    @property
    def waiting(self) -> int:
        return self._waiting

    async def run(self, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`work(*args, **kwargs)` on a thread or storing process when a turn is free; Busy when
        too many wait; ProcessLost when its storing process died."""
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
            if self._new_pool is None:  # threads of this process
                return await anyio.to_thread.run_sync(call)
            if self._pool is None:  # closed: the app is shutting down
                raise ProcessLost
            return await self._in_process(self._pool, call)
        finally:
            self._limiter.release()

    async def _in_process(self, pool: Executor, call: Callable[[], T]) -> T:
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, call)
        except BrokenProcessPool:
            self._replace(pool)
            raise ProcessLost from None

    def _replace(self, broken: Executor) -> None:
        """A new pool for the next delivery; at most one a second (a process that cannot start
        would otherwise be started again for every delivery), and none once closed."""
        if self._pool is not broken or self._closed or self._new_pool is None:
            return  # already replaced, or shutting down
        broken.shutdown(wait=False, cancel_futures=True)
        now = time.monotonic()
        if now - self._replaced_at < REPLACE_EVERY:
            self._pool = _Refusing()
            return
        self._replaced_at = now
        self._pool = self._new_pool()
