"""SQLite writers of one process take turns on a lock: taken at the first write, given back at
commit, rollback, or when the connection goes back to the pool; reads never take it."""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, text, update

from core.model import Rep
from storage.db import create_engine_for, create_schema, writer_turns
from storage.tables import RepRow
from storage.uow import SqlUnitOfWork


def held(engine: Engine) -> bool:
    turns = writer_turns(engine)
    assert turns is not None
    return turns.held


def test_a_write_holds_the_turn_until_the_transaction_ends(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'd.db'}")
    create_schema(engine)
    with SqlUnitOfWork(engine) as uow:
        uow.reps.list()
        assert not held(engine)  # reading takes no turn
        uow.reps.add(Rep(email="ana@example.com", name="Ana"))
        assert held(engine)
        assert file_locked(tmp_path / "d.db.writers")
        uow.commit()
    assert not held(engine)
    assert not file_locked(tmp_path / "d.db.writers")  # given back with the commit
    with SqlUnitOfWork(engine) as uow:
        uow.reps.add(Rep(email="ben@example.com", name="Ben"))
        assert held(engine)
    assert not held(engine)  # left without commit: rolled back, turn given back
    with engine.connect() as conn:
        conn.execute(text("select 1"))
        conn.exec_driver_sql("update rep set name = 'A' where id = 1")
    assert not held(engine)  # statements the driver runs as given take no turn
    with engine.begin() as conn:
        conn.execute(text("update rep set name = 'Ana L' where email = 'ana@example.com'"))
    assert not held(engine)
    with engine.connect() as conn:  # a connection that breaks mid-transaction
        conn.execute(update(RepRow).values(name="Ana Lopez"))
        assert held(engine)
        conn.invalidate()
        assert not held(engine)


def file_locked(path: Path) -> bool:
    """Whether another open file description holds the exclusive flock on `path`."""
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


WRITER = """
import sys
from sqlalchemy import update
from storage.db import create_engine_for
from storage.tables import RepRow
engine = create_engine_for(sys.argv[1])
with engine.connect() as conn:
    conn.exec_driver_sql("PRAGMA busy_timeout=0")  # SQLite's own lock would refuse at once
    print("ready", flush=True)
    conn.execute(update(RepRow).values(name="Other process"))
    conn.commit()
print("written", flush=True)
"""


def _started(script: str, url: str) -> subprocess.Popen[str]:
    """`script` in another process, on the database at `url`."""
    return subprocess.Popen(
        [sys.executable, "-c", script, url],
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_writer_in_another_process_waits_for_the_turn(tmp_path: Path) -> None:
    """Without turns across processes, the second process meets SQLite's lock and (with no busy
    timeout) fails with "database is locked"; with them it waits for the commit and writes."""
    url = f"sqlite:///{tmp_path / 'd.db'}"
    engine = create_engine_for(url)
    create_schema(engine)
    with SqlUnitOfWork(engine) as uow:
        uow.reps.add(Rep(email="ana@example.com", name="Ana"))
        assert held(engine)
        assert file_locked(tmp_path / "d.db.writers")  # the turn other processes ask for
        other = _started(WRITER, url)
        assert other.stdout is not None
        assert other.stdout.readline().strip() == "ready"
        with contextlib.suppress(subprocess.TimeoutExpired):
            other.wait(timeout=1.0)  # it must still be waiting for our commit
        assert other.poll() is None, other.stderr.read() if other.stderr else ""
        uow.commit()
    out, err = other.communicate(timeout=30)
    assert other.returncode == 0, err
    assert out.strip() == "written"
    with SqlUnitOfWork(engine) as uow:
        assert [rep.name for rep in uow.reps.list()] == ["Other process"]


ADDER = """
import sys
import storage.db
from storage.db import create_engine_for
storage.db.ASK_EVERY = 0.5  # a slow waiter: it would lose the turn to any writer that did not wait
from storage.uow import SqlUnitOfWork
from core.model import Rep
engine = create_engine_for(sys.argv[1])
print("ready", flush=True)
with SqlUnitOfWork(engine) as uow:
    uow.reps.add(Rep(email="other@example.com", name="Other process"))
    uow.commit()
"""


def test_a_writer_of_another_process_already_waiting_goes_before_this_one_s_next(
    tmp_path: Path, monkeypatch
) -> None:
    """A process writing one transaction after another would otherwise take the turn again
    the moment it let go, ahead of the process that was waiting (intake under load ahead of
    the delivery worker). Here the next transaction of this process waits for the waiter."""
    import storage.db as db

    monkeypatch.setattr(db, "COURTESY", 10.0)  # ample, however slow the other process is
    url = f"sqlite:///{tmp_path / 'd.db'}"
    engine = create_engine_for(url)
    create_schema(engine)
    with SqlUnitOfWork(engine) as uow:
        uow.reps.add(Rep(email="first@example.com", name="First"))
        other = _started(ADDER, url)
        assert other.stdout is not None and other.stdout.readline().strip() == "ready"
        waiting = tmp_path / "d.db.writers.waiting"
        deadline = time.monotonic() + 30
        while not (waiting.exists() and file_locked(waiting)):  # it says it waits
            assert other.poll() is None, other.stderr.read() if other.stderr else ""
            assert time.monotonic() < deadline, "the other process never waited"
            time.sleep(0.01)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:  # at once: the turn is free, but someone was waiting
        uow.reps.add(Rep(email="next@example.com", name="Next"))
        uow.commit()
    _, err = other.communicate(timeout=30)
    assert other.returncode == 0, err
    with SqlUnitOfWork(engine) as uow:
        assert [rep.name for rep in uow.reps.list()] == ["First", "Other process", "Next"]
