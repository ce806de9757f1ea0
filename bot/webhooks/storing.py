"""Webhook deliveries stored in processes of their own (`DEALBOT_WEBHOOK_PROCESSES` > 0).

In the web process, storing a lead (the transaction, scoring, routing, the alerts' rows) shares
one interpreter lock with the event loop that reads requests and writes answers; past about
150 leads a second on two cores that one lock, not the machine, is the limit. A storing
process has its own interpreter, engine, rep directory and load ledger, and gets only the
parsed submission and the delivery key; the web process keeps the signature check, the
parsing and the answer. The 202 still goes out only after the storing process has committed.

A storing process that dies takes its transaction with it (nothing half-written); that
delivery and those waiting behind it are answered 503, and the next ones get a new process.
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
from core.intake import LeadSubmission, SignalEvent
from handlers.intake import IntakeResult, receive_lead
from handlers.signals import SignalsResult, receive_signals

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


def store_lead(submission: LeadSubmission, key: str) -> IntakeResult:
    deps = _own_services().desk_deps()
    try:
        return receive_lead(submission, deps, delivery_key=key)
    except SQLAlchemyError as error:  # the data stays here: only the kind and place cross over
        raise StorageUnavailable(failure_summary(error)) from None


def store_signals(events: list[SignalEvent], key: str) -> SignalsResult:
    deps = _own_services().desk_deps()
    try:
        return receive_signals(events, deps, delivery_key=key)
    except SQLAlchemyError as error:
        raise StorageUnavailable(failure_summary(error)) from None


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
