"""The drafting worker: writes requested follow-ups in the background, started with the app.

It claims requested drafts (a compare-and-set, so processes never write the same draft), writes
a few at once on threads (the model call may take many seconds), and wakes this process's
delivery worker when cards are queued. A draft whose writer died is claimed again once its
claim is older than the longest a model call may take; nothing requested is ever lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from bot.drafting.wiring import build_drafter, fallbacks
from bot.failures import failure_summary
from bot.services import Services
from core.ports import Drafter
from handlers.draft_writing import claim_drafts, write_draft

log = logging.getLogger("dealbot.drafting")

POLL_SECONDS = 0.5
BATCH = 4
STOP_WAIT_SECONDS = 5.0


class DraftingWorker:
    def __init__(self, services: Services, drafter: Drafter | None, *, name: str) -> None:
        self.services, self.drafter, self.name = services, drafter, name
        self.deps = services.deps("drafting")
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def stale_after(self) -> timedelta:
        """Longer than the model may take with every retry and fallback, plus a margin."""
        settings = self.services.settings
        calls = (settings.llm_retries + 1) * (1 + len(fallbacks(settings)))
        return timedelta(seconds=settings.llm_timeout_seconds * calls + 60)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="dealbot-drafting")

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        """Stop claiming; a draft being written finishes, or its claim goes stale and is retaken."""
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._task), STOP_WAIT_SECONDS)

    async def run_once(self) -> int:
        """One pass: claim what waits and write it; the number of drafts claimed."""
        drafts = await asyncio.to_thread(
            claim_drafts, self.deps, worker=self.name, stale_after=self.stale_after, limit=BATCH
        )
        results = await asyncio.gather(
            *(asyncio.to_thread(write_draft, self.deps, self.drafter, d) for d in drafts),
            return_exceptions=True,
        )
        for draft, result in zip(drafts, results, strict=True):
            if isinstance(result, BaseException):
                log.error(
                    "draft %s not written (%s); it will be retried", draft.id, type(result).__name__
                )
        written = sum(1 for result in results if result is True)
        if written:
            self.services.wake_delivery()
        return len(drafts)

    async def run_guarded(self) -> int:
        """One pass as the background loop runs it: a failure is logged by its kind and place
        only (a database error quotes what it was writing: email bodies, addresses), then 0."""
        try:
            return await self.run_once()
        except Exception as error:
            log.error("drafting pass failed; trying again shortly: %s", failure_summary(error))
            return 0

    async def _run(self) -> None:
        while not self._stopping.is_set():
            if await self.run_guarded():
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
            self._wake.clear()


@asynccontextmanager
async def drafting_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The drafting worker beside the app (`serve`) or in `dealbot worker`."""
    services: Services = app.state.services
    if not services.settings.drafting_enabled:
        yield
        return
    worker = DraftingWorker(
        services, build_drafter(services.settings), name=f"{socket.gethostname()}:{os.getpid()}"
    )
    app.state.drafting_worker = worker
    worker.start()
    try:
        yield
    finally:
        await worker.stop()
