"""The sales domain as plain values: reps, accounts, contacts, leads, deals and what happens to them.

Everything here is a frozen dataclass. Storage turns table rows into these; handlers and the
ranking read them; nothing here knows about a database, a chat platform or the clock.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum

Attributes = Mapping[str, str]
"""Custom attributes imported with a record: column name -> raw text. They become model features."""


class Role(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    ADMIN = "admin"


class DealStatus(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class LeadStatus(StrEnum):
    NEW = "new"
    WORKING = "working"
    CONVERTED = "converted"
    DISQUALIFIED = "disqualified"


class ActivityKind(StrEnum):
    CALL = "call"
    EMAIL = "email"
    MEETING = "meeting"
    NOTE = "note"


class ActionKind(StrEnum):
    FOLLOW_UP = "follow_up"
    OVERDUE_NEXT_STEP = "overdue_next_step"
    GONE_QUIET = "gone_quiet"
    FIRST_TOUCH = "first_touch"
    REVIEW_DRAFT = "review_draft"


class ActionStatus(StrEnum):
    SHOWN = "shown"
    DONE = "done"
    SNOOZED = "snoozed"
    DISMISSED = "dismissed"


WEEKDAYS = (0, 1, 2, 3, 4)


@dataclass(frozen=True, slots=True)
class Rep:
    email: str
    name: str
    time_zone: str = "UTC"
    role: Role = Role.REP
    id: int | None = None
    team_id: int | None = None
    manager_id: int | None = None
    working_days: tuple[int, ...] = WEEKDAYS
    work_start: time = time(8, 0)
    work_end: time = time(18, 0)
    holidays: tuple[date, ...] = ()
    territories: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    daily_capacity: int = 20
    weekly_capacity: int = 80
    out_of_office_until: datetime | None = None
    slack_user_id: str | None = None
    teams_user_id: str | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class Team:
    name: str
    id: int | None = None
    alert_channel: str | None = None
    hot_lead_sla_minutes: int = 5
    escalation_minutes: int = 15
    teams_channel: str | None = None
    """A Microsoft Teams channel id for alerts; when set, alerts go there instead of Slack."""


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    id: int | None = None
    external_id: str | None = None
    domain: str | None = None
    industry: str | None = None
    employees: int | None = None
    region: str | None = None
    owner_id: int | None = None
    attributes: Attributes = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Contact:
    name: str
    id: int | None = None
    external_id: str | None = None
    email: str | None = None
    phone: str | None = None
    title: str | None = None
    account_id: int | None = None
    attributes: Attributes = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Lead:
    name: str
    created_at: datetime
    id: int | None = None
    external_id: str | None = None
    email: str | None = None
    company: str | None = None
    domain: str | None = None
    phone: str | None = None
    source: str | None = None
    status: LeadStatus = LeadStatus.NEW
    owner_id: int | None = None
    account_id: int | None = None
    score: float | None = None
    assigned_at: datetime | None = None
    first_touch_at: datetime | None = None
    first_touch_due: datetime | None = None
    converted_at: datetime | None = None
    attributes: Attributes = field(default_factory=dict)
    tier: str | None = None
    """hot, warm or cold, from the lead score; None for leads that never went through intake."""
    score_reasons: tuple[str, ...] = ()
    """The score's breakdown in words (fit, intent, a demo request); no personal data."""
    team_id: int | None = None
    """The team whose channel announced the lead."""
    routing_rule: str | None = None
    routing_reason: str | None = None
    """Why the owner got it, e.g. "Alice: owns acme.com"."""
    accepted_at: datetime | None = None
    sla_started_at: datetime | None = None
    """When the lead started waiting for a first touch (its arrival, or the moment it turned
    hotter); None when no clock runs. Time to first touch counts from here; a reassignment does
    not move it."""
    sla_restarted_at: datetime | None = None
    """When a reassignment restarted the clock for the current owner; None while the clock runs
    from `sla_started_at`."""
    sla_fired: int = 0
    """The highest level the current clock fired: 0 none, 1 reminder, 2 breach, 3 escalation."""
    sla_fired_before: int = 0
    """The highest level the clocks of earlier owners fired (a breach stays a breach)."""
    sla_next_at: datetime | None = None
    """When the clock's next level is due; None once touched, closed or every level fired."""

    @property
    def clock_started_at(self) -> datetime | None:
        """When the current owner's response clock started; None when no clock runs."""
        if self.sla_started_at is None:
            return None
        return self.sla_restarted_at or self.sla_started_at

    @property
    def sla_worst(self) -> int:
        """The highest level any of the lead's clocks fired, its current owner's or an earlier one."""
        return max(self.sla_fired, self.sla_fired_before)

    @property
    def outcome(self) -> bool | None:
        """True when converted, False when disqualified, None while still open."""
        if self.status is LeadStatus.CONVERTED:
            return True
        if self.status is LeadStatus.DISQUALIFIED:
            return False
        return None


@dataclass(frozen=True, slots=True)
class NextAction:
    text: str
    due: date | None = None
    owner_id: int | None = None


@dataclass(frozen=True, slots=True)
class Deal:
    name: str
    stage: str
    created_at: datetime
    id: int | None = None
    external_id: str | None = None
    account_id: int | None = None
    contact_id: int | None = None
    owner_id: int | None = None
    amount: float | None = None
    currency: str = "USD"
    stage_entered_at: datetime | None = None
    expected_close: date | None = None
    status: DealStatus = DealStatus.OPEN
    closed_at: datetime | None = None
    next_action: NextAction | None = None
    source: str | None = None
    attributes: Attributes = field(default_factory=dict)

    @property
    def outcome(self) -> bool | None:
        """True when won, False when lost, None while open."""
        if self.status is DealStatus.WON:
            return True
        if self.status is DealStatus.LOST:
            return False
        return None


@dataclass(frozen=True, slots=True)
class StageChange:
    deal_id: int
    to_stage: str
    changed_at: datetime
    from_stage: str | None = None


@dataclass(frozen=True, slots=True)
class Activity:
    kind: ActivityKind
    occurred_at: datetime
    id: int | None = None
    deal_id: int | None = None
    lead_id: int | None = None
    rep_id: int | None = None
    summary: str = ""
    outcome: str | None = None
    surface: str = "import"
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class Signal:
    kind: str
    occurred_at: datetime
    weight: float = 1.0
    id: int | None = None
    lead_id: int | None = None
    account_id: int | None = None
    deal_id: int | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Action:
    """One item of a rep's ranked list. Its UUID ties what was shown to what happened after."""

    id: uuid.UUID
    rep_id: int
    kind: ActionKind
    subject_type: str
    subject_id: int
    title: str
    score: float
    reason: str
    created_at: datetime
    status: ActionStatus = ActionStatus.SHOWN
    snoozed_until: datetime | None = None
    value: float = 0.0
    """Expected value in money when ranked: amount x p(win), or a lead's typical value x p(convert)."""
    currency: str = "USD"
