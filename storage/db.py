"""Engines for the embedded SQLite default and for PostgreSQL, configured the same way everywhere."""

from __future__ import annotations

import fcntl
import functools
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, create_engine

from storage import tables  # noqa: F401  (registers the tables on SQLModel.metadata)

log = logging.getLogger("dealbot.storage")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class WriterTurns:
    """One writing transaction at a time per process on SQLite, handed over without sleeping.

    SQLite has one writer. A second writer finds the database locked and its busy handler
    sleeps and tries again, for 1, 2, 5, 10 ... 100 ms, so under load a transaction that waits
    mostly sleeps past the moment the lock came free, and the next one to arrive may take it
    first. Webhook threads, the delivery worker and the clocks of one process queue here
    instead, on a lock that wakes the next writer as soon as the last one commits. Reads never
    wait: a transaction takes its turn at its first INSERT, UPDATE or DELETE.

    Processes on the same database file (`dealbot serve` beside `dealbot worker`) take turns
    too, with `lock_path`: the writer of this process then also holds an exclusive `flock` on
    that file, asked for every 0.1-1 ms, so a writer of another process waits a fraction of a
    millisecond past the commit it waits for instead of SQLite's 1-100 ms sleeps. A process
    that dies holding it lets go with its file. If the turn does not come within `timeout` (a
    thread that writes on two connections at once), the statement goes ahead to SQLite's own
    lock as before.
    """

    FLAG = "dealbot_writer_turn"
    FILE_FLAG = "dealbot_writer_file"

    def __init__(self, timeout: float, lock_path: str | None = None) -> None:
        self.timeout = timeout
        self.lock_path = lock_path
        self._lock = threading.Lock()

    @property
    def held(self) -> bool:
        """Whether a transaction of this process is writing now."""
        return self._lock.locked()

    def attach(self, engine: Engine) -> None:
        _TURNS[engine] = self
        event.listen(engine, "before_cursor_execute", self._before_execute)
        event.listen(engine.pool, "checkin", self._checked_in)
        # The turn ends after SQLite's own COMMIT or ROLLBACK has run, not at SQLAlchemy's
        # commit event (which comes before it): another process given the turn earlier would
        # still meet SQLite's lock and its sleeping busy handler.
        dialect = engine.dialect
        dialect.do_commit = self._ending(dialect.do_commit)  # type: ignore[method-assign]
        dialect.do_rollback = self._ending(dialect.do_rollback)  # type: ignore[method-assign]

    def _ending(self, end: Callable[[Any], None]) -> Callable[[Any], None]:
        def ended(connection: Any) -> None:
            try:
                end(connection)
            finally:
                # The pool's proxy of the connection keeps the turn in its `info`; a bare proxy
                # (the pool resetting a connection it takes back) has none: checkin releases.
                try:
                    info = connection.info
                except (AttributeError, NotImplementedError):
                    info = None
                if isinstance(info, dict):
                    self._release(info)

        return ended

    def _before_execute(self, conn: Any, _cursor: Any, _sql: str, _params: Any, context: Any,
                        _many: bool) -> None:  # fmt: skip
        writes = context is not None and (context.isinsert or context.isupdate or context.isdelete)
        if writes and not conn.info.get(self.FLAG):
            deadline = time.monotonic() + self.timeout
            conn.info[self.FLAG] = self._lock.acquire(timeout=self.timeout)
            if conn.info[self.FLAG] and self.lock_path is not None:
                conn.info[self.FILE_FLAG] = self._take_file(self.lock_path, deadline)

    @staticmethod
    def _take_file(path: str, deadline: float) -> int | None:
        """An open descriptor of `path` holding its exclusive flock, or None at the deadline.

        A writer of another process that is already waiting goes first: without that, a process
        that writes one transaction after another (intake under load) takes the lock again the
        moment it lets go, while a waiter asks only every millisecond, and the delivery worker
        would wait for its turn through hundreds of transactions. Waiters say so with a shared
        flock on `path`.waiting while they wait.

        A lock file that cannot be opened or locked (permissions, a file system without
        flock) costs only the quick hand-over: the write goes on to SQLite's own lock.
        """
        fd = _opened(path)
        if fd is None:
            return None
        waiting: int | None = None
        announced = False
        try:
            _after_waiters(path + ".waiting", min(deadline, time.monotonic() + COURTESY))
            pause = 0.0001
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return fd
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        break
                    if not announced:
                        announced = True
                        until = min(deadline, time.monotonic() + COURTESY)
                        waiting = _announce_waiting(path + ".waiting", until)
                    time.sleep(pause)
                    pause = min(pause * 2, ASK_EVERY)
        except BaseException as error:
            os.close(fd)
            if not isinstance(error, OSError):
                raise
            _warn_once(error)
            return None
        finally:
            if waiting is not None:
                os.close(waiting)  # no longer waiting
        os.close(fd)
        return None

    def _checked_in(self, _dbapi_connection: Any, record: Any) -> None:
        self._release(record.info)  # a connection given back without its end, or invalidated

    def _release(self, info: dict[str, Any]) -> None:
        fd = info.pop(self.FILE_FLAG, None)
        if fd is not None:
            os.close(fd)  # closing the only descriptor lets go of its flock
        if info.pop(self.FLAG, False):
            self._lock.release()


COURTESY = 0.005
"""Seconds a writer lets another process's waiting writer go first, at most."""
ASK_EVERY = 0.001
"""Seconds between a waiting writer's asks for the turn, at most."""


def _opened(path: str) -> int | None:
    """A descriptor of the lock file `path` (made if missing), or None (warned once)."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    except OSError as error:
        _warn_once(error)
        return None


def _after_waiters(path: str, until: float) -> None:
    """Return once no writer of another process is waiting (nobody holds a shared flock on
    `path`), or at `until`. A waiting file that cannot be used only skips the courtesy."""
    fd = _opened(path)
    if fd is None:
        return
    try:
        _flocked(fd, fcntl.LOCK_EX, until)  # exclusive only when nobody waits
    except OSError as error:
        _warn_once(error)
    finally:
        os.close(fd)  # lets go of the flock


def _announce_waiting(path: str, until: float) -> int | None:
    """A descriptor holding a shared flock on `path` while this writer waits (close it to stop);
    None when it cannot say so by `until` (it then waits without the courtesy of others)."""
    fd = _opened(path)
    if fd is None:
        return None
    try:
        if _flocked(fd, fcntl.LOCK_SH, until):  # held exclusively only for a moment
            return fd
    except OSError as error:
        _warn_once(error)
    os.close(fd)
    return None


def _flocked(fd: int, how: int, until: float) -> bool:
    """Whether the flock `how` on `fd` was had by `until` (asked every 0.1 ms)."""
    while True:
        try:
            fcntl.flock(fd, how | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= until:
                return False
            time.sleep(0.0001)


def _warn_once(error: OSError) -> None:
    _warn(error.strerror or type(error).__name__)


@functools.cache
def _warn(reason: str) -> None:  # once per kind of failure, not once per write
    log.warning("SQLite writers' lock file unusable (%s): SQLite's own lock alone", reason)


_TURNS: weakref.WeakKeyDictionary[Engine, WriterTurns] = weakref.WeakKeyDictionary()


def writer_turns(engine: Engine) -> WriterTurns | None:
    """The writer turns of a SQLite engine made by `create_engine_for` (None for PostgreSQL)."""
    return _TURNS.get(engine)


def normalise_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and point them at psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def create_engine_for(url: str) -> Engine:
    """An engine for `url`; SQLite connections get WAL, foreign keys and a busy timeout.

    Statement parameters stay out of error messages: they hold email bodies and addresses, and
    error messages end up in logs.
    """
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 10}, hide_parameters=True
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        database = engine.url.database
        on_disk = database not in (None, "", ":memory:") and not database.startswith("file:")
        lock_path = os.path.abspath(f"{database}.writers") if on_disk else None
        WriterTurns(timeout=10, lock_path=lock_path).attach(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def create_schema(engine: Engine) -> None:
    """Create every table directly (tests); deployments use `dealbot db upgrade` (alembic)."""
    SQLModel.metadata.create_all(engine)
