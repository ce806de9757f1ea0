"""Where handlers run: threads in this process, or a pool of worker processes.

Handlers are synchronous and mostly Python work (SQL rows into facts, ranking, messages). In
threads they share the interpreter lock with the event loop that acknowledges Slack, so under
load every acknowledgement waits behind them. With DEALBOT_HANDLER_PROCESSES > 0 they run in
worker processes instead, each with its own engine, and the event loop only moves bytes.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import uuid
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from bot.failures import failure_summary
from bot.logs import configure_logging
from bot.services import Services, build_services
from bot.settings import Settings
from core.commands import Command
from handlers.deps import Deps, Reply
from handlers.dispatch import dispatch
from handlers.errors import UserError

log = logging.getLogger(__name__)

INTERNAL = (
    "dealbot hit an internal error and did not finish this; nothing was changed. "
    "Try again in a minute; if it keeps happening, tell your admin (reference {ref})."
)

_worker_services: Services | None = None


def run_handler(command: Command, deps: Deps) -> Reply | str:
    """The handler's reply, or the text to show when it refused (or failed: logged, not shown)."""
    try:
        return dispatch(command, deps)
    except UserError as error:
        return str(error)
    except Exception as error:  # logged by kind and place: its message may quote customer data
        ref = uuid.uuid4().hex[:8]
        log.error(
            "%s failed (reference %s): %s", type(command).__name__, ref, failure_summary(error)
        )
        return INTERNAL.format(ref=ref)


def _start_worker(settings: Settings) -> None:
    global _worker_services
    configure_logging(settings.log_level)
    _worker_services = build_services(settings)


def _in_worker(command: Command, surface: str) -> Reply | str:
    assert _worker_services is not None, "worker process started without its services"
    return run_handler(command, _worker_services.deps(surface))


class HandlerPool:
    def __init__(self, services: Services, surface: str) -> None:
        self.services, self.surface = services, surface
        self.deps = services.deps(surface)
        self._pool: ProcessPoolExecutor | None = None
        processes = services.settings.handler_processes
        if processes > 0:
            self._pool = ProcessPoolExecutor(
                max_workers=processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(services.settings,),
            )
            services.closers.append(self.close)

    async def run(self, command: Command) -> Reply | str:
        if self._pool is None:
            return await asyncio.to_thread(run_handler, command, self.deps)
        loop = asyncio.get_running_loop()
        result: Any = await loop.run_in_executor(self._pool, _in_worker, command, self.surface)
        return result  # type: ignore[no-any-return]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
