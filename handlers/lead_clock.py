"""Starting a lead's response clock: on arrival (or a hotter tier), and again for a new owner.

A lead handed to someone else gets a fresh clock counted in the new owner's working hours: they
cannot answer a lead before they have it, and a clock that ran out for the previous owner would
leave the new one with no reminder, no breach and no escalation. The lead's own wait (time to
first touch in the report) still counts from `sla_started_at`, which a reassignment leaves alone;
a breach an earlier owner let happen stays on record in `sla_fired_before`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from core.model import Lead, Rep
from core.sla import start_clock
from handlers.lead_desk import DeskPolicy


def with_clock(lead: Lead, policy: DeskPolicy, owner: Rep | None, at: datetime) -> Lead:
    """The lead with a response clock started at `at` for its tier (none for untimed tiers)."""
    if lead.tier not in policy.clock_tiers or lead.tier not in policy.sla.targets:
        return replace(
            lead, sla_started_at=None, sla_restarted_at=None, sla_next_at=None, sla_fired=0
        )
    clock = start_clock(at, lead.tier, policy.sla, owner)
    return replace(
        lead,
        sla_started_at=at,
        sla_restarted_at=None,
        sla_fired=0,
        sla_fired_before=0,
        sla_next_at=clock.next_at(0),
        first_touch_due=clock.breach_at,
    )


def with_clock_for(lead: Lead, policy: DeskPolicy, owner: Rep, at: datetime) -> Lead:
    """The lead handed to `owner` at `at`: their own clock from now, every level to fire again.

    A lead without a running clock (untimed tier, already touched) is returned unchanged.
    """
    if (
        lead.sla_started_at is None
        or lead.first_touch_at is not None
        or lead.tier not in policy.sla.targets
    ):
        return lead
    clock = start_clock(at, lead.tier or "", policy.sla, owner)
    return replace(
        lead,
        sla_restarted_at=at,
        sla_fired=0,
        sla_fired_before=lead.sla_worst,
        sla_next_at=clock.next_at(0),
        first_touch_due=clock.breach_at,
    )
