"""The outbox as the delivery worker sees it: claim due rows under a lease, then settle each one.

Every call is its own short transaction on the engine, so a slow Slack call never holds a lock.

A claim moves due rows to "sending", stamps them with a fresh lease token (`claimed_by`) and
pushes `next_attempt_at` to the end of the lease. On PostgreSQL the rows are picked with
`FOR UPDATE SKIP LOCKED`, so replicas claiming at the same moment split the rows instead of
queueing behind each other; SQLite has one writer at a time, and the claim is a single UPDATE, so
two processes cannot pick the same row there either. A worker that dies mid-batch leaves its rows
in "sending"; once the lease has run out they are due again and the next claim takes them,
counting the lost attempt (its outcome is unknown). Settling a row (sent, retry, dead, release)
only works with the token of the claim that holds it, so a worker whose lease ran out cannot
overwrite what the next one did.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, and_, bindparam, case, func, select, update
from sqlalchemy.engine import Engine

from core.ports import OutboxItem
from storage.outbox import OUTBOX, revive_dead
from storage.types import UTCDateTime

PENDING, SENDING, SENT, DEAD = "pending", "sending", "sent", "dead"
STATUSES = (PENDING, SENDING, SENT, DEAD)
LEASE_LOST = "lease expired before the send was confirmed"


@dataclass(frozen=True, slots=True)
class Claim:
    """Rows one worker holds until `until`; `token` must accompany every update to them."""

    token: str
    until: datetime
    items: list[OutboxItem]


@dataclass(frozen=True, slots=True)
class Settlement:
    """What becomes of one claimed row: the columns to set, if the claim `token` still holds it."""

    item_id: int
    token: str
    values: dict[str, Any]
    """Plain column values."""
    counts_attempt: bool = False
    """Add one to `attempts` as well."""


def sent(item_id: int, *, token: str, at: datetime, reference: str | None = None) -> Settlement:
    """The platform took the message."""
    values: dict[str, Any] = {"status": SENT, "sent_at": at}
    if reference is not None:
        values["sent_ref"] = reference
    return Settlement(item_id, token, values, counts_attempt=True)


def retry(
    item_id: int, *, token: str, due: datetime, error: str, count_attempt: bool = True
) -> Settlement:
    """Back to pending until `due`; a rate limit does not count as an attempt, an error does."""
    values: dict[str, Any] = {"status": PENDING, "next_attempt_at": due, "last_error": error}
    return Settlement(item_id, token, values, counts_attempt=count_attempt)


def dead(item_id: int, *, token: str, error: str, count_attempt: bool = True) -> Settlement:
    """Given up until someone revives it."""
    values: dict[str, Any] = {"status": DEAD, "next_attempt_at": None, "last_error": error}
    return Settlement(item_id, token, values, counts_attempt=count_attempt)


def released(item_id: int, *, token: str, at: datetime) -> Settlement:
    """Handed back unsent, due at `at`."""
    return Settlement(item_id, token, {"status": PENDING, "next_attempt_at": at})


def item_from_row(row: Any) -> OutboxItem:
    return OutboxItem(
        id=row.id,
        key=row.key,
        platform=row.platform,
        target=row.target,
        payload=dict(row.payload or {}),
        status=row.status,
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        sent_at=row.sent_at,
        last_error=row.last_error,
    )


def _due(by_platform: bool) -> Any:
    """Rows waiting for a send (or held by a lost lease) whose time has come."""
    due = and_(
        OUTBOX.c.status.in_((PENDING, SENDING)),
        OUTBOX.c.next_attempt_at <= bindparam("at", type_=UTCDateTime()),
    )
    if by_platform:
        due = and_(due, OUTBOX.c.platform.in_(bindparam("platforms", expanding=True)))
    return due


@functools.cache
def _due_statement(by_platform: bool) -> Any:
    """Whether any row is due: one row's id or none, read without writing."""
    return select(OUTBOX.c.id).where(_due(by_platform)).limit(1)


@functools.cache
def _settle_statement(columns: tuple[str, ...], counts_attempt: bool) -> Any:
    """One settlement's UPDATE for these columns (values :set_<column>, :row_id, :token), built
    and compiled once per shape: the worker settles every message it sends."""
    values: dict[str, Any] = {
        name: bindparam(f"set_{name}", type_=OUTBOX.c[name].type) for name in columns
    }
    if counts_attempt:
        values["attempts"] = OUTBOX.c.attempts + 1
    return (
        update(OUTBOX)
        .where(OUTBOX.c.id == bindparam("row_id", type_=Integer()))
        .where(OUTBOX.c.claimed_by == bindparam("token", type_=String()))
        .where(OUTBOX.c.status == SENDING)
        .values(claimed_by=None, **values)
    )


@functools.cache
def _claim_statement(by_platform: bool) -> Any:
    """The claim as one statement with parameters (:at, :until, :token, :limit and, when
    `by_platform`, :platforms), built and compiled once: the worker claims after every webhook."""
    picked = (
        select(OUTBOX.c.id)
        .where(_due(by_platform))
        .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id)
        .limit(bindparam("limit", type_=Integer()))
        .with_for_update(skip_locked=True)
        .cte("picked")
    )
    lease_lost = OUTBOX.c.status == SENDING
    return (
        update(OUTBOX)
        .where(OUTBOX.c.id.in_(select(picked.c.id)))
        .values(
            status=SENDING,
            claimed_by=bindparam("token", type_=String()),
            next_attempt_at=bindparam("until", type_=UTCDateTime()),
            attempts=case((lease_lost, OUTBOX.c.attempts + 1), else_=OUTBOX.c.attempts),
            last_error=case((lease_lost, LEASE_LOST), else_=OUTBOX.c.last_error),
        )
        .returning(*OUTBOX.c)
    )


class OutboxQueue:
    """Claim, settle, list and revive outbox rows; used by the delivery worker and the CLI."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._single_writer = engine.dialect.name == "sqlite"

    def claim(
        self,
        *,
        worker: str,
        at: datetime,
        limit: int,
        lease: timedelta,
        platforms: Sequence[str] | None = None,
    ) -> Claim:
        """Up to `limit` rows due at `at` (oldest due first), held by a new lease until at + lease."""
        token = f"{worker}:{uuid.uuid4().hex[:12]}"
        until = at + lease
        params: dict[str, Any] = {"at": at, "until": until, "token": token, "limit": limit}
        if platforms is not None:
            params["platforms"] = list(platforms)
        with self.engine.begin() as conn:
            # On SQLite even an UPDATE that matches nothing takes the one writer's turn, and
            # an idle worker asks several times a second: look first, without writing.
            if (
                self._single_writer
                and conn.execute(_due_statement(platforms is not None), params).first() is None
            ):
                return Claim(token, until, [])
            rows = conn.execute(_claim_statement(platforms is not None), params).all()
        items = sorted((item_from_row(r) for r in rows), key=lambda i: i.id)
        return Claim(token, until, items)

    def mark_sent(
        self, item_id: int, *, token: str, at: datetime, reference: str | None = None
    ) -> bool:
        """The platform took the message. False when this claim no longer holds the row."""
        return self.settle_all([sent(item_id, token=token, at=at, reference=reference)])[0]

    def landed(self, key: str) -> tuple[str, str | None] | None:
        """The status of the row under `key` and where it landed; None when there is no such row."""
        query = select(OUTBOX.c.status, OUTBOX.c.sent_ref).where(OUTBOX.c.key == key)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else (row.status, row.sent_ref)

    def retry_later(
        self, item_id: int, *, token: str, due: datetime, error: str, count_attempt: bool = True
    ) -> bool:
        """Back to pending until `due`. A rate limit does not count as an attempt; an error does."""
        settlement = retry(item_id, token=token, due=due, error=error, count_attempt=count_attempt)
        return self.settle_all([settlement])[0]

    def mark_dead(
        self, item_id: int, *, token: str, error: str, count_attempt: bool = True
    ) -> bool:
        """Give up until someone revives it (`dealbot outbox retry`)."""
        settlement = dead(item_id, token=token, error=error, count_attempt=count_attempt)
        return self.settle_all([settlement])[0]

    def release(self, item_id: int, *, token: str, at: datetime) -> bool:
        """Hand a row back unsent and due at `at` (a worker stopping, or a lease about to end)."""
        return self.settle_all([released(item_id, token=token, at=at)])[0]

    def settle_all(self, settlements: Sequence[Settlement]) -> list[bool]:
        """Settle many rows in one transaction; for each, False when its claim lost the row.

        The delivery worker settles what a round's sends came back with together: one commit
        for many rows instead of one each.
        """
        results = []
        with self.engine.begin() as conn:
            for settlement in settlements:
                shape = tuple(sorted(settlement.values))
                statement = _settle_statement(shape, settlement.counts_attempt)
                params = {f"set_{name}": value for name, value in settlement.values.items()}
                params.update(row_id=settlement.item_id, token=settlement.token)
                results.append(conn.execute(statement, params).rowcount == 1)
        return results

    def by_status(self, status: str | None = None, *, limit: int = 50) -> list[OutboxItem]:
        """Newest first, optionally of one status."""
        query = select(OUTBOX).order_by(OUTBOX.c.id.desc()).limit(limit)
        if status is not None:
            query = query.where(OUTBOX.c.status == status)
        with self.engine.connect() as conn:
            return [item_from_row(r) for r in conn.execute(query)]

    def counts(self) -> dict[str, int]:
        """Rows per status, every status present (zero when none)."""
        query = select(OUTBOX.c.status, func.count()).group_by(OUTBOX.c.status)
        with self.engine.connect() as conn:
            found = {status: int(n) for status, n in conn.execute(query)}
        return {status: found.get(status, 0) for status in STATUSES}

    def revive(self, ids: Sequence[int] | None, *, at: datetime) -> list[int]:
        """Dead rows (these ids, or all when None) back to pending, due now, attempts from zero.

        Returns the ids revived; ids that are not dead are left alone.
        """
        with self.engine.begin() as conn:
            return revive_dead(conn, ids, at=at)
