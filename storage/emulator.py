"""The local emulator's transcript: what each rep's thread and each team's channel shows.

It lives in the database, beside the outbox it is fed from, so it survives a restart of
`dealbot demo` and any process that delivers the outbox can write it. Every call is its own short
transaction on the engine, like the delivery worker's queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from storage.tables import AuditLogRow, EmulatorMessageRow, OutboxRow

TRANSCRIPT: Table = EmulatorMessageRow.__table__  # type: ignore[attr-defined]
_RECORDED_TIMES = (
    TRANSCRIPT.c.created_at,
    AuditLogRow.__table__.c.at,  # type: ignore[attr-defined]
    OutboxRow.__table__.c.created_at,  # type: ignore[attr-defined]
)
"""What the emulated clock leaves behind: messages shown, changes made, messages queued."""


def latest_recorded_time(engine: Engine) -> datetime | None:
    """The newest moment the transcript, the audit log or the outbox recorded; None when they
    are empty or not there yet (a database before its migrations)."""
    latest: datetime | None = None
    try:
        with engine.connect() as conn:
            for column in _RECORDED_TIMES:
                found = conn.execute(select(func.max(column))).scalar()
                if found is not None and (latest is None or found > latest):
                    latest = found
    except DBAPIError:
        return None
    return latest


@dataclass(frozen=True, slots=True)
class TranscriptEntry:
    id: int
    conversation: str
    kind: str
    payload: dict[str, Any]
    created_at: datetime
    visible_to: int | None = None
    outbox_key: str | None = None
    revision: int = 0


def _insert(conn: Connection, values: dict[str, Any]) -> int:
    statement = TRANSCRIPT.insert().values(values).returning(TRANSCRIPT.c.id)
    return int(conn.execute(statement).scalar_one())


def _entry(row: Any) -> TranscriptEntry:
    return TranscriptEntry(
        id=row.id,
        conversation=row.conversation,
        kind=row.kind,
        payload=dict(row.payload or {}),
        created_at=row.created_at,
        visible_to=row.visible_to,
        outbox_key=row.outbox_key,
        revision=row.revision,
    )


class EmulatorTranscript:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def post(
        self,
        conversation: str,
        payload: dict[str, Any],
        *,
        at: datetime,
        kind: str = "message",
        visible_to: int | None = None,
    ) -> int:
        """A new message at the end of the conversation; returns its id."""
        values = {
            "conversation": conversation,
            "kind": kind,
            "payload": payload,
            "visible_to": visible_to,
            "created_at": at,
            "revision": 0,
        }
        with self.engine.begin() as conn:
            return _insert(conn, values)

    def deliver(self, conversation: str, payload: dict[str, Any], *, key: str, at: datetime) -> int:
        """An outbox row arriving: posted once under its key; a second delivery edits it."""
        values = {
            "conversation": conversation,
            "kind": "message",
            "payload": payload,
            "outbox_key": key,
            "created_at": at,
            "revision": 0,
        }
        by_key = TRANSCRIPT.c.outbox_key == key
        with self.engine.begin() as conn:
            found = conn.execute(select(TRANSCRIPT.c.id).where(by_key)).scalar()
            if found is None:
                return _insert(conn, values)
            edit = {"payload": payload, "revision": TRANSCRIPT.c.revision + 1}
            conn.execute(update(TRANSCRIPT).where(by_key).values(edit))
            return int(found)

    def edit_by_key(self, key: str, payload: dict[str, Any]) -> bool:
        """Replace the message an outbox row posted; False when there is none."""
        return self._edit(TRANSCRIPT.c.outbox_key == key, payload, None)

    def replace(self, entry_id: int, payload: dict[str, Any], *, kind: str | None = None) -> bool:
        """Show `payload` in place of the message `entry_id` (a press updating its message)."""
        return self._edit(TRANSCRIPT.c.id == entry_id, payload, kind)

    def _edit(self, where: Any, payload: dict[str, Any], kind: str | None) -> bool:
        values: dict[str, Any] = {"payload": payload, "revision": TRANSCRIPT.c.revision + 1}
        if kind is not None:
            values["kind"] = kind
        with self.engine.begin() as conn:
            return bool(conn.execute(update(TRANSCRIPT).where(where).values(values)).rowcount)

    def get(self, entry_id: int) -> TranscriptEntry | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(TRANSCRIPT).where(TRANSCRIPT.c.id == entry_id)).first()
        return None if row is None else _entry(row)

    def conversation(
        self, conversation: str, *, viewer: int | None, limit: int = 100
    ) -> list[TranscriptEntry]:
        """The newest `limit` messages of a conversation that `viewer` may see, oldest first."""
        visible = or_(TRANSCRIPT.c.visible_to.is_(None), TRANSCRIPT.c.visible_to == viewer)
        query = (
            select(TRANSCRIPT)
            .where(TRANSCRIPT.c.conversation == conversation, visible)
            .order_by(TRANSCRIPT.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [_entry(r) for r in reversed(rows)]

    def version(self, conversations: Sequence[str]) -> str:
        """Changes whenever a message in these conversations is posted or edited."""
        query = select(
            func.count(),
            func.max(TRANSCRIPT.c.id),
            func.coalesce(func.sum(TRANSCRIPT.c.revision), 0),
        ).where(TRANSCRIPT.c.conversation.in_(list(conversations)))
        with self.engine.connect() as conn:
            count, newest, edits = conn.execute(query).one()
        return f"{count}.{newest or 0}.{edits}"
