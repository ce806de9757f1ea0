"""The outbox and the idempotency keys, as handlers see them: inside the unit of work.

Both insert with `ON CONFLICT DO NOTHING` (SQLite and PostgreSQL dialects) instead of catching an
IntegrityError: on PostgreSQL a failed INSERT aborts the whole transaction, and with it the state
change the message belongs to. With DO NOTHING a repeat is just a statement that wrote no row.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert
from sqlmodel import Session

from storage.tables import IdempotencyKeyRow, OutboxRow

OUTBOX: Table = OutboxRow.__table__  # type: ignore[attr-defined]
IDEMPOTENCY: Table = IdempotencyKeyRow.__table__  # type: ignore[attr-defined]
CHUNK = 1000
"""Keys per IN list: well under SQLite's and PostgreSQL's bound-parameter limits."""


def insert_unless_present(session: Session, table: Table, values: dict[str, Any]) -> bool:
    """Insert one row unless its unique key is taken; True when a row was written."""
    return inserted_key(session, table, values) is not None


def inserted_key(session: Session, table: Table, values: dict[str, Any]) -> Any | None:
    """Insert one row unless a unique key is taken: its primary key, or None when none went in."""
    statement = _insert_unless_present(session.get_bind().dialect.name, table)
    row = session.connection().execute(statement, values).first()
    return row[0] if row is not None else None


@functools.cache
def _insert_unless_present(dialect: str, table: Table) -> Insert:
    """One statement per dialect and table, values given at execution: compiled once, reused."""
    statement: Insert
    if dialect == "postgresql":
        statement = postgresql.insert(table).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(table).on_conflict_do_nothing()
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(f"no insert-unless-present for {dialect}")
    # RETURNING tells reliably whether a row went in; rowcount is not dependable on every driver.
    key = next(iter(table.primary_key.columns))
    return statement.returning(key)


def revive_dead(connection: Connection, ids: Sequence[int] | None, *, at: datetime) -> list[int]:
    """Dead rows (these ids, or all when None) back to pending, due `at`, attempts from zero."""
    statement = update(OUTBOX).where(OUTBOX.c.status == "dead")
    if ids is not None:
        statement = statement.where(OUTBOX.c.id.in_(list(ids)))
    statement = statement.values(status="pending", attempts=0, next_attempt_at=at)
    return sorted(connection.execute(statement.returning(OUTBOX.c.id)).scalars())


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_COUNT_KEY = select(func.count()).select_from(OUTBOX).where(OUTBOX.c.key == bindparam("key"))


_OLDEST = (
    select(IDEMPOTENCY.c.key)
    .where(IDEMPOTENCY.c.created_at < bindparam("before"))
    .order_by(IDEMPOTENCY.c.created_at)
    .limit(bindparam("most"))
)
_FORGET = IDEMPOTENCY.delete().where(IDEMPOTENCY.c.key.in_(_OLDEST.scalar_subquery()))
_SET_RESULT = (
    update(IDEMPOTENCY)
    .where(IDEMPOTENCY.c.key == bindparam("wanted_key"))
    .values(result=bindparam("new_result"))
)


class SqlOutbox:
    """Proactive messages written with the change that caused them; the key makes them once-only."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def enqueue(
        self,
        *,
        key: str,
        platform: str,
        target: str,
        payload: dict[str, Any],
        at: datetime,
        not_before: datetime | None = None,
    ) -> bool:
        """Queue a message; False (and nothing written) when the key is already queued."""
        values = {
            "key": key,
            "platform": platform,
            "target": target,
            "payload": payload,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": max(at, not_before) if not_before is not None else at,
            "created_at": at,
        }
        return insert_unless_present(self.session, OUTBOX, values)

    def revise(
        self,
        *,
        key: str,
        edit_of: str,
        platform: str,
        target: str,
        payload: dict[str, Any],
        at: datetime,
    ) -> None:
        """Queue an edit of the message under `edit_of`; the newest revision replaces older ones.

        A row being sent right now loses its lease (its worker's settle no longer matches), so the
        newest revision goes out after it instead of being marked sent with an older text.
        """
        payload = {**payload, "edit_of": edit_of}
        if self.enqueue(key=key, platform=platform, target=target, payload=payload, at=at):
            return
        statement = (
            update(OUTBOX)
            .where(OUTBOX.c.key == key)
            .values(
                payload=payload,
                platform=platform,
                target=target,
                status="pending",
                attempts=0,
                next_attempt_at=at,
                claimed_by=None,
                last_error=None,
            )
        )
        self.session.connection().execute(statement)

    def exists(self, key: str) -> bool:
        return bool(self.session.connection().execute(_COUNT_KEY, {"key": key}).scalar_one())

    def existing(self, keys: Iterable[str]) -> set[str]:
        """Those of `keys` already queued, in one query per thousand keys."""
        wanted = sorted(set(keys))
        found: set[str] = set()
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            query = select(OUTBOX.c.key).where(OUTBOX.c.key.in_(chunk))
            found.update(self.session.connection().execute(query).scalars())
        return found

    def keys_with_prefix(self, prefix: str) -> set[str]:
        pattern = escape_like(prefix) + "%"
        query = select(OUTBOX.c.key).where(OUTBOX.c.key.like(pattern, escape="\\"))
        return set(self.session.connection().execute(query).scalars())

    def revive(self, ids: Sequence[int] | None, *, at: datetime) -> list[int]:
        """Dead rows back to pending, in the unit of work's transaction (see `revive_dead`)."""
        return revive_dead(self.session.connection(), ids, at=at)


class SqlIdempotencyKeys:
    """Keys of events already handled (a Slack event id, a button press); the first claim wins."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, key: str, *, at: datetime) -> bool:
        return insert_unless_present(self.session, IDEMPOTENCY, {"key": key, "created_at": at})

    def set_result(self, key: str, result: str) -> None:
        self.session.connection().execute(_SET_RESULT, {"wanted_key": key, "new_result": result})

    def result(self, key: str) -> str | None:
        query = select(IDEMPOTENCY.c.result).where(IDEMPOTENCY.c.key == key)
        found = self.session.connection().execute(query).first()
        return None if found is None else found[0]

    def forget_before(self, before: datetime, *, limit: int) -> int:
        return (
            self.session.connection().execute(_FORGET, {"before": before, "most": limit}).rowcount
        )
