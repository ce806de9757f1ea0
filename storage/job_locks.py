"""One replica at a time for a clock's job: a PostgreSQL advisory lock, held for one pass.

The digest pass and the SLA sweep are once-only by their outbox keys and compare-and-set updates,
so replicas ticking together never send twice. But each would still rank every due rep or
read every due clock, and on PostgreSQL the second one waits on the first one's row locks
until it commits, only to find the work done. `pass_lock` lets the first replica to tick do the
pass and the others skip it (`pg_try_advisory_lock` never waits). The lock belongs to the
connection: a replica that dies mid-pass loses it with its connection, and the next tick of any
replica takes over. SQLite has one writer at a time anyway: there the lock is always granted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, select
from sqlalchemy.engine import Engine


def lock_key(job: str) -> int:
    """A stable signed 64-bit key for `job` (PostgreSQL advisory locks take a bigint)."""
    digest = hashlib.sha256(f"dealbot:{job}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def pass_lock(engine: Engine, job: str) -> Iterator[bool]:
    """Yields True when this process may run `job` now, False when another one is running it."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    key = lock_key(job)
    with engine.connect() as conn:
        mine = bool(conn.execute(select(func.pg_try_advisory_lock(key))).scalar_one())
        conn.commit()  # a session lock outlives the transaction; do not sit idle in one
        try:
            yield mine
        finally:
            if mine:
                conn.execute(select(func.pg_advisory_unlock(key)))
                conn.commit()
