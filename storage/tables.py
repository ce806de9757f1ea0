"""The SQLModel tables. Rows stay inside storage/; repositories hand out core values."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


def _when(*, index: bool = False, nullable: bool = True) -> Any:
    return Field(default=None, sa_type=UTCDateTime, index=index, nullable=nullable)


def _json() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class TeamRow(SQLModel, table=True):
    __tablename__ = "team"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    alert_channel: str | None = None
    hot_lead_sla_minutes: int = 5
    escalation_minutes: int = 15
    teams_channel: str | None = None


class RepRow(SQLModel, table=True):
    __tablename__ = "rep"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True)
    name: str
    time_zone: str = "UTC"
    role: str = "rep"
    team_id: int | None = Field(default=None, foreign_key="team.id")
    manager_id: int | None = Field(default=None, foreign_key="rep.id")
    working_days: str = "0,1,2,3,4"
    work_start: str = "08:00"
    work_end: str = "18:00"
    holidays: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    territories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    segments: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    daily_capacity: int = 20
    weekly_capacity: int = 80
    out_of_office_until: datetime | None = _when()
    slack_user_id: str | None = Field(default=None, index=True)
    teams_user_id: str | None = Field(default=None, index=True)
    active: bool = True


class AccountRow(SQLModel, table=True):
    __tablename__ = "account"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    name_key: str = Field(index=True)
    external_id: str | None = Field(default=None, unique=True)
    domain: str | None = Field(default=None, index=True)
    industry: str | None = None
    employees: int | None = None
    region: str | None = None
    owner_id: int | None = Field(default=None, foreign_key="rep.id")
    attributes: dict[str, str] = _json()


class ContactRow(SQLModel, table=True):
    __tablename__ = "contact"
    id: int | None = Field(default=None, primary_key=True)
    name: str
    external_id: str | None = Field(default=None, unique=True)
    email: str | None = Field(default=None, index=True)
    phone: str | None = None
    title: str | None = None
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    attributes: dict[str, str] = _json()


class LeadRow(SQLModel, table=True):
    __tablename__ = "lead"
    id: int | None = Field(default=None, primary_key=True)
    name: str
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    external_id: str | None = Field(default=None, unique=True)
    email: str | None = Field(default=None, index=True)
    company: str | None = None
    domain: str | None = Field(default=None, index=True)
    phone: str | None = None
    source: str | None = None
    status: str = Field(default="new", index=True)
    owner_id: int | None = Field(default=None, foreign_key="rep.id", index=True)
    account_id: int | None = Field(default=None, foreign_key="account.id")
    score: float | None = None
    assigned_at: datetime | None = _when()
    first_touch_at: datetime | None = _when()
    first_touch_due: datetime | None = _when()
    converted_at: datetime | None = _when()
    attributes: dict[str, str] = _json()
    tier: str | None = None
    score_detail: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    """The score's parts and its breakdown in words: {"fit", "intent", "reasons", "demo"}."""
    team_id: int | None = Field(default=None, foreign_key="team.id")
    routing_rule: str | None = None
    routing_reason: str | None = None
    accepted_at: datetime | None = _when()
    sla_started_at: datetime | None = _when()
    """When the lead started waiting for a first touch; a reassignment does not move it."""
    sla_restarted_at: datetime | None = _when()
    """When a reassignment restarted the clock for the current owner (None: from sla_started_at)."""
    sla_fired: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """The highest response-clock level already fired (0 none, 1 reminder, 2 breach, 3 escalation)."""
    sla_fired_before: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """The highest level earlier owners' clocks fired before a reassignment restarted it."""
    sla_next_at: datetime | None = _when(index=True)
    """When the clock's next level is due; None once touched, closed or every level has fired."""


class LeadAssignmentRow(SQLModel, table=True):
    __tablename__ = "lead_assignment"
    __table_args__ = (Index("ix_lead_assignment_rep_at", "rep_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id", index=True)
    rep_id: int = Field(foreign_key="rep.id")
    tier: str
    rule: str
    reason: str
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    actor: str = "routing"


class DealRow(SQLModel, table=True):
    __tablename__ = "deal"
    id: int | None = Field(default=None, primary_key=True)
    name: str
    name_key: str = Field(index=True)
    stage: str
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    external_id: str | None = Field(default=None, unique=True)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    owner_id: int | None = Field(default=None, foreign_key="rep.id", index=True)
    amount: float | None = None
    currency: str = "USD"
    stage_entered_at: datetime | None = _when()
    expected_close: date | None = None
    status: str = Field(default="open", index=True)
    closed_at: datetime | None = _when()
    next_action_text: str | None = None
    next_action_due: date | None = None
    next_action_owner_id: int | None = Field(default=None, foreign_key="rep.id")
    source: str | None = None
    attributes: dict[str, str] = _json()


class StageChangeRow(SQLModel, table=True):
    __tablename__ = "stage_change"
    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id", index=True)
    from_stage: str | None = None
    to_stage: str
    changed_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class ActivityRow(SQLModel, table=True):
    __tablename__ = "activity"
    id: int | None = Field(default=None, primary_key=True)
    kind: str
    occurred_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    deal_id: int | None = Field(default=None, foreign_key="deal.id", index=True)
    lead_id: int | None = Field(default=None, foreign_key="lead.id", index=True)
    rep_id: int | None = Field(default=None, foreign_key="rep.id")
    summary: str = ""
    outcome: str | None = None
    surface: str = "import"
    external_id: str | None = Field(default=None, unique=True)


class SignalRow(SQLModel, table=True):
    __tablename__ = "signal"
    id: int | None = Field(default=None, primary_key=True)
    kind: str
    occurred_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    weight: float = 1.0
    lead_id: int | None = Field(default=None, foreign_key="lead.id", index=True)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    deal_id: int | None = Field(default=None, foreign_key="deal.id", index=True)
    detail: str = ""


class ActionRow(SQLModel, table=True):
    __tablename__ = "action"
    id: str = Field(primary_key=True)
    rep_id: int = Field(foreign_key="rep.id", index=True)
    kind: str
    subject_type: str
    subject_id: int
    title: str
    score: float
    reason: str
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    status: str = "shown"
    status_at: datetime | None = _when()
    snoozed_until: datetime | None = _when()


class ModelVersionRow(SQLModel, table=True):
    __tablename__ = "model_version"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)
    trained_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    metrics: dict[str, Any] = _json()
    blob: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class AuditLogRow(SQLModel, table=True):
    __tablename__ = "audit_log"
    id: int | None = Field(default=None, primary_key=True)
    actor: str
    action: str
    subject: str
    before: Any = Field(default=None, sa_column=Column(JSON))
    after: Any = Field(default=None, sa_column=Column(JSON))
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class IdempotencyKeyRow(SQLModel, table=True):
    __tablename__ = "idempotency_key"
    __table_args__ = (Index("ix_idempotency_key_created_at", "created_at"),)
    key: str = Field(primary_key=True)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    result: str | None = None
    """What the first delivery produced (e.g. `lead:42`), so a repeat can answer the same."""


class OutboxRow(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("key", name="uq_outbox_key"),
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    key: str
    platform: str
    target: str
    payload: dict[str, Any] = _json()
    status: str = Field(default="pending", index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = _when(index=True)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    sent_at: datetime | None = _when()
    last_error: str | None = None
    claimed_by: str | None = None
    """The lease token of the worker sending it (status "sending"); its updates must match it."""
    sent_ref: str | None = None
    """Where the platform put it (e.g. Slack `channel/ts`), so later edits can update it in place."""


class TeamsConversationRow(SQLModel, table=True):
    __tablename__ = "teams_conversation"
    key: str = Field(primary_key=True)
    """`user:<Entra object id>` or `channel:<channel id>`."""
    reference: dict[str, Any] = _json()
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    tenant_id: str | None = None
    team_name: str | None = None
    channel_name: str | None = None


class EmulatorMessageRow(SQLModel, table=True):
    """What the local emulator shows: a rep's thread or a team's channel, one message a row."""

    __tablename__ = "emulator_message"
    __table_args__ = (Index("ix_emulator_message_conversation", "conversation", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    conversation: str
    """`rep:<id>` (the rep's direct messages with dealbot) or `team:<id>` (the team's channel)."""
    visible_to: int | None = None
    """A rep id for an answer only that rep sees (Slack's ephemeral messages); None for everyone."""
    kind: str = "message"
    """`message` (a neutral message) or `form` (a form to fill in, with its values and errors)."""
    payload: dict[str, Any] = _json()
    outbox_key: str | None = Field(default=None, unique=True)
    """The outbox row it came from, so an edit of that row updates it in place."""
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revision: int = 0
    """Counts the edits, so a page polling the transcript sees a change in place."""


UNDECIDED_DRAFT = "status IN ('requested', 'drafting', 'ready')"
"""A draft nobody has approved or rejected yet; a deal has at most one (the unique index below)."""


class DraftRow(SQLModel, table=True):
    __tablename__ = "draft"
    __table_args__ = (
        Index("ix_draft_status_requested_at", "status", "requested_at"),
        Index("ix_draft_decided_at", "decided_at"),
        Index(
            "ux_draft_undecided_deal",
            "deal_id",
            unique=True,
            sqlite_where=text(UNDECIDED_DRAFT),
            postgresql_where=text(UNDECIDED_DRAFT),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deal.id", index=True)
    rep_id: int = Field(foreign_key="rep.id")
    requested_by: int = Field(foreign_key="rep.id")
    requested_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    status: str = "requested"
    generation: int = 1
    subject: str = ""
    body: str = ""
    model: str = ""
    note: str | None = None
    written_at: datetime | None = _when()
    claimed_by: str | None = None
    """The drafting worker writing it (status "drafting"); its write must match it."""
    claimed_at: datetime | None = _when()
    to_email: str | None = None
    outcome: str | None = None
    decided_by: int | None = Field(default=None, foreign_key="rep.id")
    decided_at: datetime | None = _when()
    final_subject: str | None = None
    final_body: str | None = None
    change_ratio: float = 0.0
    sent_via: str | None = None
