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

import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor

from sqlalchemy.exc import OperationalError, SQLAlchemyError

from bot.failures import failure_summary
from bot.logs import configure_logging
from bot.services import Services, build_services
from bot.settings import Settings
from handlers.deliveries import Delivery, Received, receive_each, receive_together
from handlers.lead_desk import DeskDeps

log = logging.getLogger("dealbot.webhooks")
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


def stored(deliveries: list[Delivery], deps: DeskDeps) -> list[Received | Exception]:
    """The deliveries stored together; each one's result or the exception that stopped it.

    When the group fails, the database itself failing (locked past its timeout, unreachable)
    fails every delivery of it at once: each alone would wait out the same timeout again. Any
    other failure belongs to one delivery, so each is stored again alone and only that one fails.
    """
    try:
        return list(receive_together(deliveries, deps))
    except OperationalError as error:
        return [error] * len(deliveries)
    except Exception as error:
        if len(deliveries) == 1:
            return [error]
        log.warning(
            "webhooks: a group of %d deliveries failed (%s); each is stored again alone",
            len(deliveries),
            failure_summary(error),
        )
        return receive_each(deliveries, deps)


def store_together(deliveries: list[Delivery]) -> list[Received | Exception]:
    """`stored` by this process's services. A database error crosses over as StorageUnavailable
    (its kind and place only: the data stays here); any other is logged here, where its
    traceback is."""
    outcomes = stored(deliveries, _own_services().desk_deps())
    for outcome in outcomes:
        if isinstance(outcome, Exception) and not isinstance(outcome, SQLAlchemyError):
            log.error("webhooks: a delivery failed: %s", failure_summary(outcome))
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
