"""Records of what the bot did: ranked actions shown, model versions, the audit log."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import and_, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, desc, select

from core.action_outcomes import ActionRecord
from core.model import Action, ActionKind, ActionStatus
from core.ports import AuditEntry, ModelVersionInfo
from core.promotion import is_promoted
from storage import convert
from storage.tables import ActionRow, AuditLogRow, ModelVersionRow

LIVE_PAGE = 8
"""Versions read at a time while looking for the live (newest promoted) one."""
REUSE_WITHIN = timedelta(days=7)
"""An open item shown again within this time keeps its id; after it, it counts as a new one."""


class SqlActionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def record_shown(self, actions: Sequence[Action]) -> list[Action]:
        """Store what was shown. An item still open from an earlier showing keeps its id, so a
        button on yesterday's digest and one on today's `/deals` act on the same action."""
        if not actions:
            return []
        earlier = self._open_ids(actions)
        stored: list[Action] = []
        for action in actions:
            known = earlier.get((action.rep_id, action.subject_type, action.subject_id))
            if known is None:
                row = ActionRow(**convert.action_to_row(action))
                row.status_at = action.created_at
                self.session.add(row)
                stored.append(action)
                continue
            known.title, known.reason, known.score = action.title, action.reason, action.score
            known.kind, known.status_at = action.kind.value, action.created_at
            self.session.add(known)
            stored.append(replace(action, id=uuid.UUID(known.id)))
        self.session.flush()
        return stored

    def _open_ids(self, actions: Sequence[Action]) -> dict[tuple[int, str, int], ActionRow]:
        since = min(a.created_at for a in actions) - REUSE_WITHIN
        wanted = {(a.rep_id, a.subject_type, a.subject_id) for a in actions}
        rep_ids = sorted({a.rep_id for a in actions})
        found: dict[tuple[int, str, int], ActionRow] = {}
        for start in range(0, len(rep_ids), 500):
            query = select(ActionRow).where(
                col(ActionRow.rep_id).in_(rep_ids[start : start + 500]),
                col(ActionRow.status) == ActionStatus.SHOWN.value,
                col(ActionRow.status_at) >= since,
            )
            for row in self.session.exec(query):
                key = (row.rep_id, row.subject_type, row.subject_id)
                if key in wanted:
                    found[key] = row
        return found

    def get(self, action_id: uuid.UUID) -> Action | None:
        row = self.session.get(ActionRow, str(action_id))
        return convert.action_from_row(row) if row is not None else None

    def set_status(
        self,
        action_id: uuid.UUID,
        status: ActionStatus,
        *,
        at: datetime,
        until: datetime | None = None,
        only_from: ActionStatus | None = None,
    ) -> bool:
        """Change one action; with `only_from`, only while it still has that status (so two
        presses at once cannot both win). True when the row changed."""
        statement = update(ActionRow).where(col(ActionRow.id) == str(action_id))
        if only_from is not None:
            statement = statement.where(col(ActionRow.status) == only_from.value)
        result = self.session.connection().execute(
            statement.values(status=status.value, status_at=at, snoozed_until=until)
        )
        if result.rowcount == 0 and only_from is None:
            raise LookupError(f"action {action_id} does not exist")
        return bool(result.rowcount)

    def history(
        self,
        *,
        since: datetime,
        until: datetime,
        rep_ids: Sequence[int] | None = None,
        done_since: datetime | None = None,
    ) -> list[ActionRecord]:
        """Actions first shown in [since, until), and with `done_since` also those done in
        [done_since, until) however long ago they were first shown; oldest first."""
        query = sa_select(
            col(ActionRow.id),
            col(ActionRow.rep_id),
            col(ActionRow.kind),
            col(ActionRow.subject_type),
            col(ActionRow.subject_id),
            col(ActionRow.created_at),
            col(ActionRow.status),
            col(ActionRow.status_at),
        )
        shown = and_(col(ActionRow.created_at) >= since, col(ActionRow.created_at) < until)
        if done_since is None:
            query = query.where(shown)
        else:
            done = and_(
                col(ActionRow.status) == ActionStatus.DONE.value,
                col(ActionRow.status_at) >= done_since,
                col(ActionRow.status_at) < until,
            )
            query = query.where(or_(shown, done))
        if rep_ids is not None:
            query = query.where(col(ActionRow.rep_id).in_(list(rep_ids)))
        ordered = query.order_by(col(ActionRow.created_at), col(ActionRow.id))
        rows = self.session.connection().execute(ordered)
        return [
            ActionRecord(
                id=uuid.UUID(id),
                rep_id=rep_id,
                kind=ActionKind(kind),
                subject_type=subject_type,
                subject_id=subject_id,
                shown_at=shown_at,
                status=ActionStatus(status),
                status_at=status_at,
            )
            for id, rep_id, kind, subject_type, subject_id, shown_at, status, status_at in rows
        ]

    def hidden_subjects(self, *, rep_id: int, at: datetime) -> set[tuple[str, int]]:
        return self.hidden_by_rep(at=at, rep_ids=[rep_id]).get(rep_id, set())

    def hidden_by_rep(
        self, *, at: datetime, rep_ids: Sequence[int] | None = None
    ) -> dict[int, set[tuple[str, int]]]:
        """Snoozed (or done) until later, or dismissed, subjects per rep, in one query for the digest."""
        query = select(ActionRow.rep_id, ActionRow.subject_type, ActionRow.subject_id).where(
            (
                col(ActionRow.status).in_([ActionStatus.SNOOZED.value, ActionStatus.DONE.value])
                & (col(ActionRow.snoozed_until) > at)
            )
            | (col(ActionRow.status) == ActionStatus.DISMISSED.value),
        )
        if rep_ids is not None:
            query = query.where(col(ActionRow.rep_id).in_(list(rep_ids)))
        hidden: dict[int, set[tuple[str, int]]] = {}
        for rep, kind, subject in self.session.exec(query):
            hidden.setdefault(rep, set()).add((kind, subject))
        return hidden


class SqlModelVersionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, kind: str, trained_at: datetime, metrics: dict[str, Any], blob: bytes) -> int:
        row = ModelVersionRow(kind=kind, trained_at=trained_at, metrics=metrics, blob=blob)
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        return row.id

    def latest(self, kind: str) -> tuple[int, dict[str, Any], bytes] | None:
        """The live version: the newest promoted one (rejected candidates are skipped)."""
        # A page at a time: the newest version is nearly always the live one, and a year of
        # nightly versions need not be read every time the forecaster checks for a new model.
        live, offset = None, 0
        while live is None:
            page = self.history(kind, limit=LIVE_PAGE, offset=offset)
            live = next((v for v in page if is_promoted(v.metrics)), None)
            if len(page) < LIVE_PAGE and live is None:
                return None
            offset += LIVE_PAGE
        row = self.session.get(ModelVersionRow, live.id)
        assert row is not None
        return live.id, dict(row.metrics), bytes(row.blob)

    def history(
        self, kind: str | None = None, *, limit: int | None = None, offset: int = 0
    ) -> list[ModelVersionInfo]:
        """Every stored version (newest first), without the model blobs."""
        query = select(
            ModelVersionRow.id,
            ModelVersionRow.kind,
            ModelVersionRow.trained_at,
            ModelVersionRow.metrics,
        )
        if kind is not None:
            query = query.where(ModelVersionRow.kind == kind)
        query = query.order_by(desc(ModelVersionRow.trained_at), desc(ModelVersionRow.id))
        if limit is not None:
            query = query.offset(offset).limit(limit)
        return [
            ModelVersionInfo(
                id=cast(int, id), kind=kind, trained_at=trained_at, metrics=dict(metrics or {})
            )
            for id, kind, trained_at, metrics in self.session.exec(query)
        ]


class SqlAuditLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def record(
        self, *, actor: str, action: str, subject: str, before: Any, after: Any, at: datetime
    ) -> None:
        self.session.add(
            AuditLogRow(
                actor=actor, action=action, subject=subject, before=before, after=after, at=at
            )
        )
        self.session.flush()

    def latest(self, subject: str) -> AuditEntry | None:
        query = (
            select(AuditLogRow)
            .where(AuditLogRow.subject == subject)
            .order_by(desc(AuditLogRow.at), desc(AuditLogRow.id))
            .limit(1)
        )
        row = self.session.exec(query).first()
        if row is None:
            return None
        return AuditEntry(row.actor, row.action, row.subject, row.before, row.after, row.at)
