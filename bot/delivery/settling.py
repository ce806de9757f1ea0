"""Outcomes of sends written back to the outbox together: one transaction for many rows.

Each send's outcome is handed to `Settler.settle` as soon as it is known, and the caller waits
until it is in the table, as before. While one write is under way, the outcomes that arrive
pile up and go in the next write, all in one transaction: no row waits for a timer, and at a
hundred messages a second the table sees a handful of commits instead of a hundred, which is
what kept intake and delivery queueing for SQLite's single writer.
"""

from __future__ import annotations

import asyncio

from storage.delivery import OutboxQueue, Settlement


class Settler:
    """Writes settlements in batches on a worker thread; `settle` says whether the claim held."""

    def __init__(self, queue: OutboxQueue) -> None:
        self.queue = queue
        self._waiting: list[tuple[Settlement, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def settle(self, settlement: Settlement) -> bool:
        """Write this outcome (with whatever else is waiting); False when the lease was lost."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((settlement, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write())
        return await done

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                held = await asyncio.to_thread(self.queue.settle_all, [s for s, _ in batch])
            except Exception as error:  # each waiting send sees the failure, as it would alone
                for _, done in batch:
                    if not done.done():
                        done.set_exception(error)
                continue
            for (_, done), ok in zip(batch, held, strict=True):
                if not done.done():
                    done.set_result(ok)
