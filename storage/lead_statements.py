"""Statements the lead repository runs for every submission and every due clock, built once.

A statement built with its values inside is compiled again on every call; these take their
values as parameters, so SQLAlchemy compiles each once and reuses it.
"""

from __future__ import annotations

from sqlalchemy import bindparam, func, select, update

from core.model import LeadStatus
from storage.tables import LeadRow
from storage.types import UTCDateTime

OPEN_LEAD_STATUSES = (LeadStatus.NEW.value, LeadStatus.WORKING.value)
_LEAD = LeadRow.__table__  # type: ignore[attr-defined]
OPEN_BY_EMAIL = (
    select(_LEAD)
    .where(_LEAD.c.email == bindparam("email"), _LEAD.c.status.in_(OPEN_LEAD_STATUSES))
    .order_by(_LEAD.c.id.desc())
    .limit(1)
)
"""The newest open lead with this email (intake asks for every submission)."""
ADVANCE_CLOCK = (
    update(_LEAD)
    .where(
        _LEAD.c.id == bindparam("lead_id"),
        _LEAD.c.sla_fired == bindparam("from_fired"),
        func.coalesce(_LEAD.c.sla_restarted_at, _LEAD.c.sla_started_at)
        == bindparam("started_at", type_=UTCDateTime()),
        _LEAD.c.first_touch_at.is_(None),
    )
    .values(sla_fired=bindparam("to_fired"), sla_next_at=bindparam("next_at", type_=UTCDateTime()))
)
"""Move a clock from one level to the next only if nobody moved, restarted (a reassignment, a
hotter tier) or stopped it first; `started_at` is the current owner's clock start (one statement,
compiled once: the sweep runs it for every due lead)."""
