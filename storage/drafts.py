"""Follow-up drafts: requests, the drafting workers' claims, and the decisions people made.

Every change of state is a compare-and-set on (status, generation, claimed_by): two workers can
never write the same draft, and two presses (or a press and a Regenerate) can never both win.
A deal has at most one undecided draft (a partial unique index): two Draft follow-up presses at
once, from any number of processes, store one request.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, or_, select, text, update
from sqlmodel import Session

from core.drafts import Draft, DraftDecision, DraftOutcome, DraftStatus, decision_of
from storage.outbox import inserted_key
from storage.tables import UNDECIDED_DRAFT, DraftRow

DRAFTS: Table = DraftRow.__table__  # type: ignore[attr-defined]


class SqlDraftRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, draft: Draft) -> Draft:
        values = _values(draft)
        values.pop("id")
        row = DraftRow(**values)
        self.session.add(row)
        self.session.flush()
        return dataclasses.replace(draft, id=row.id)

    def add_request(self, draft: Draft) -> Draft | None:
        """Store a new request unless the deal already has an undecided draft (then None)."""
        values = _values(draft)
        values.pop("id")
        draft_id = inserted_key(self.session, DRAFTS, values)
        return dataclasses.replace(draft, id=draft_id) if draft_id is not None else None

    def undecided_for_deal(self, deal_id: int) -> Draft | None:
        """The deal's draft that is requested, being written or waiting for a decision."""
        query = select(DRAFTS).where(DRAFTS.c.deal_id == deal_id, text(UNDECIDED_DRAFT))
        found = self.session.connection().execute(query).first()
        return _draft(found) if found is not None else None

    def get(self, draft_id: int) -> Draft | None:
        row = self.session.connection().execute(select(DRAFTS).where(DRAFTS.c.id == draft_id))
        found = row.first()
        return _draft(found) if found is not None else None

    def replace(self, draft: Draft, *, expected: Draft) -> bool:
        """Store `draft` only while the row still has `expected`'s status, generation and claim."""
        claim = (
            DRAFTS.c.claimed_by.is_(None)
            if expected.claimed_by is None
            else DRAFTS.c.claimed_by == expected.claimed_by
        )
        values = _values(draft)
        values.pop("id")
        statement = (
            update(DRAFTS)
            .where(
                DRAFTS.c.id == expected.id,
                DRAFTS.c.status == expected.status.value,
                DRAFTS.c.generation == expected.generation,
                claim,
            )
            .values(values)
        )
        return bool(self.session.connection().execute(statement).rowcount)

    def claimable(self, *, stale_before: datetime, limit: int) -> list[Draft]:
        """Drafts waiting to be written, oldest first, and those whose writer went silent."""
        waiting = DRAFTS.c.status == DraftStatus.REQUESTED.value
        abandoned = and_(
            DRAFTS.c.status == DraftStatus.DRAFTING.value, DRAFTS.c.claimed_at < stale_before
        )
        query = (
            select(DRAFTS)
            .where(or_(waiting, abandoned))
            .order_by(DRAFTS.c.requested_at, DRAFTS.c.id)
            .limit(limit)
        )
        return [_draft(row) for row in self.session.connection().execute(query)]

    def decisions(
        self, *, since: datetime, until: datetime, rep_ids: Sequence[int] | None = None
    ) -> list[DraftDecision]:
        """Decisions made in [since, until), oldest first; only these reps' when given."""
        query = select(DRAFTS).where(
            DRAFTS.c.decided_at >= since,
            DRAFTS.c.decided_at < until,
            DRAFTS.c.outcome.is_not(None),
        )
        if rep_ids is not None:
            query = query.where(DRAFTS.c.rep_id.in_(list(rep_ids)))
        rows = self.session.connection().execute(query.order_by(DRAFTS.c.decided_at, DRAFTS.c.id))
        found = (decision_of(_draft(row)) for row in rows)
        return [decision for decision in found if decision is not None]


def _values(draft: Draft) -> dict[str, Any]:
    values = {f.name: getattr(draft, f.name) for f in dataclasses.fields(draft)}
    values["status"] = draft.status.value
    values["outcome"] = draft.outcome.value if draft.outcome is not None else None
    return values


def _draft(row: Any) -> Draft:
    values = {f.name: getattr(row, f.name) for f in dataclasses.fields(Draft)}
    values["status"] = DraftStatus(row.status)
    values["outcome"] = DraftOutcome(row.outcome) if row.outcome is not None else None
    return Draft(**values)
