"""Webhook deliveries stored in processes of their own (`DEALBOT_WEBHOOK_PROCESSES` > 0).

In the web process, storing a lead (the transaction, scoring, routing, the alerts' rows) shares
one interpreter lock with the event loop that reads requests and writes answers; past about
150 leads a second on two cores that one lock, not the machine, is the limit. A storing
process has its own interpreter, engine, rep directory and load ledger, and gets only the
parsed deliveries; the web process keeps the signature check, the
parsing and the answer. The 202 still goes out only after the storing process has committed.

A storing process that dies takes its transaction with it (nothing half-written); the
deliveries it had are answered 503, and the next ones get a new process.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor

from sqlalchemy.exc import SQLAlchemyError

from bot.failures import failure_summary
from bot.logs import configure_logging
from bot.services import Services, build_services
from bot.settings import Settings
from handlers.deliveries import Delivery, Received, receive_together

_services: Services | None = None


class StorageUnavailable(Exception):
    """The storing process's database failed; the message says where, never with what data."""


def storing_pool(settings: Settings) -> ProcessPoolExecutor:
    """`settings.webhook_processes` storing processes, starting now rather than on the first lead."""
    pool = ProcessPoolExecutor(
        max_workers=settings.webhook_processes,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start,
        initargs=(settings, os.getpid()),
    )
    pool.submit(ready)
    return pool


def store_together(deliveries: list[Delivery]) -> list[Received | Exception]:
    """`receive_together` by this process's services; a database error crosses over as
    StorageUnavailable (its kind and place only: the data stays here)."""
    outcomes = receive_together(deliveries, _own_services().desk_deps())
    return [
        StorageUnavailable(failure_summary(o)) if isinstance(o, SQLAlchemyError) else o
        for o in outcomes
    ]


def _start(settings: Settings, parent: int) -> None:
    global _services
    # Ctrl-C reaches the whole process group: the web process shuts down in order and ends
    # this one; an interrupt here would abort a delivery and the web process's shutdown.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), name="parent-watch", daemon=True).start()
    configure_logging(settings.log_level)
    _services = build_services(settings)


def _exit_with(parent: int) -> None:
    """End this process soon after the web process that started it is gone (even killed).

    Its work queue would never tell it: the queue's pipe is held open from this side too. A
    transaction it was in the middle of is rolled back by the database, as after any crash.
    """
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def ready(hold: float = 0.0) -> bool:
    """Asked of a storing process: True once it has its services (kept busy `hold` seconds)."""
    time.sleep(hold)
    return _services is not None


def _own_services() -> Services:
    assert _services is not None, "storing process started without its services"
    return _services
