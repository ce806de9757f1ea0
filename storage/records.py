"""Records of what the bot did: ranked actions shown, model versions, the audit log."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, desc, select

from core.model import Action, ActionStatus
from storage import convert
from storage.tables import ActionRow, AuditLogRow, ModelVersionRow


class SqlActionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def record_shown(self, actions: Sequence[Action]) -> None:
        self.session.add_all(ActionRow(**convert.action_to_row(a)) for a in actions)
        self.session.flush()

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
    ) -> None:
        row = self.session.get(ActionRow, str(action_id))
        if row is None:
            raise LookupError(f"action {action_id} does not exist")
        row.status, row.status_at, row.snoozed_until = status.value, at, until
        self.session.add(row)
        self.session.flush()

    def hidden_subjects(self, *, rep_id: int, at: datetime) -> set[tuple[str, int]]:
        return self.hidden_by_rep(at=at, rep_ids=[rep_id]).get(rep_id, set())

    def hidden_by_rep(
        self, *, at: datetime, rep_ids: Sequence[int] | None = None
    ) -> dict[int, set[tuple[str, int]]]:
        """Snoozed-until-later or dismissed subjects per rep, in one query for the digest."""
        query = select(ActionRow.rep_id, ActionRow.subject_type, ActionRow.subject_id).where(
            (
                (col(ActionRow.status) == ActionStatus.SNOOZED.value)
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
        query = (
            select(ModelVersionRow)
            .where(ModelVersionRow.kind == kind)
            .order_by(desc(ModelVersionRow.trained_at), desc(ModelVersionRow.id))
            .limit(1)
        )
        row = self.session.exec(query).first()
        if row is None or row.id is None:
            return None
        return row.id, dict(row.metrics), bytes(row.blob)


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
