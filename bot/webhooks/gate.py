"""How many webhook deliveries are stored at once, and how many may wait for their turn.

Every delivery's transaction writes from its first statement (the idempotency key), and on
SQLite writers take turns anyway, so a few turns store as many leads a second as forty do;
forty threads only fight over the interpreter and the writer's turn, and each lead takes longer
(`DEALBOT_WEBHOOK_CONCURRENCY`: unset, one on SQLite and eight on PostgreSQL).

Deliveries that wait while every turn is taken are stored together when a turn comes, up to
`group` in one call (see `handlers.deliveries`: one transaction, one commit). A delivery
that finds a turn free is stored at once, alone: nobody waits for a group to fill.

Past what the machine can store, waiting deliveries would pile up until every answer came too
late for its sender and connections timed out. So at most `queue` wait: the next one is answered
503 with Retry-After at once, a sender's ordinary retry, and the idempotency key makes that retry
safe. The app keeps storing at its full rate instead of falling behind everyone at once.

With `processes` (a factory of a process pool, see `bot.webhooks.storing`) the calls run in
those processes instead of threads; a pool whose process died is replaced for the next turn.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Generic, TypeVar

import anyio
import anyio.to_thread

I = TypeVar("I")  # noqa: E741
R = TypeVar("R")
Store = Callable[[list[I]], Sequence["R | BaseException"]]
"""Stores a group of deliveries; each one's result or the exception that stopped it, in order."""
REPLACE_EVERY = 1.0
"""Seconds between replacements of a pool whose process died."""
CLOSE_SECONDS = 10.0
GROUP = 8
"""The most deliveries stored in one call."""


class Busy(Exception):
    """More deliveries are waiting than the queue holds."""


class ProcessLost(Exception):
    """The storing process died during this delivery: nothing of it was committed."""


class _Refusing(Executor):
    """Stands in for a pool replaced too recently: every call fails as a lost process would,
    and the next failure after `REPLACE_EVERY` makes a new pool."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        raise BrokenProcessPool("replaced less than a second ago")


class IntakeGate(Generic[I, R]):
    def __init__(
        self,
        store: Store[I, R],
        concurrency: int,
        queue: int,
        processes: Callable[[], Executor] | None = None,
        group: int = GROUP,
    ) -> None:
        self.store = store
        self.concurrency = concurrency
        self.queue = queue
        self.group = group
        self._waiting: list[tuple[I, asyncio.Future[R]]] = []
        self._taken = 0
        self._calls: set[asyncio.Task[None]] = set()
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
        return len(self._waiting)

    async def run(self, item: I) -> R:
        """`item` stored when a turn is free (with others waiting then); Busy when too many
        wait; ProcessLost when its storing process died."""
        if self._taken >= self.concurrency and len(self._waiting) >= self.queue:
            raise Busy
        stored: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, stored))
        self._next_turns()
        return await stored

    def _next_turns(self) -> None:
        while self._waiting and self._taken < self.concurrency:
            group = [(item, f) for item, f in self._waiting[: self.group] if not f.cancelled()]
            del self._waiting[: self.group]
            if not group:
                continue
            self._taken += 1
            call = asyncio.ensure_future(self._turn(group))
            self._calls.add(call)
            call.add_done_callback(self._calls.discard)

    async def _turn(self, group: list[tuple[I, asyncio.Future[R]]]) -> None:
        """Store one group; whatever happens, every delivery in it is answered."""
        outcomes: Sequence[R | BaseException] = ()
        try:
            outcomes = await self._stored([item for item, _ in group])
        except Exception as error:  # the call itself failed: so did every delivery in it
            outcomes = [error] * len(group)
        except BaseException:  # cancelled (the pool shut down): as if its process were lost
            outcomes = [ProcessLost()] * len(group)
            raise
        finally:
            self._taken -= 1
            if len(outcomes) != len(group):
                outcomes = [RuntimeError("the store answered for a different number")] * len(group)
            for (_, stored), outcome in zip(group, outcomes, strict=True):
                if stored.done():  # its request was cancelled meanwhile
                    continue
                if isinstance(outcome, BaseException):
                    stored.set_exception(outcome)
                else:
                    stored.set_result(outcome)
            self._next_turns()

    async def _stored(self, items: list[I]) -> Sequence[R | BaseException]:
        if self._new_pool is None:  # threads of this process
            return await anyio.to_thread.run_sync(self.store, items)
        pool = self._pool
        if pool is None:  # closed: the app is shutting down
            raise ProcessLost
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, self.store, items)
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
