"""Leads' first touches as the metrics read them: one query, no domain objects."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, select
from sqlalchemy.engine import Engine

from storage.tables import LeadRow

LEAD: Table = LeadRow.__table__  # type: ignore[attr-defined]


def first_touches(engine: Engine, since: datetime | None) -> list[tuple[int, datetime, datetime]]:
    """(lead id, clock start, first touch) of leads with a clock touched at or after `since`."""
    query = select(LEAD.c.id, LEAD.c.sla_started_at, LEAD.c.first_touch_at).where(
        LEAD.c.first_touch_at.is_not(None), LEAD.c.sla_started_at.is_not(None)
    )
    if since is not None:
        query = query.where(LEAD.c.first_touch_at >= since)
    with engine.connect() as conn:
        return [(int(i), started, touched) for i, started, touched in conn.execute(query)]
