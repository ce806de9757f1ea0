"""The shape of the lead desk configuration file: which tables and keys it has, what each holds.

Every key may be left out; one left out keeps the built-in default, which lives in core's
dataclasses and nowhere else. Unknown keys are errors, so a typo cannot pass silently, and values
are strict: `hot_at = 70` is a number, `hot_at = "70"` is not. Checks that span several keys
(rule names, owners, bands) are made by `bot.lead_desk_config`, which knows where each key sits.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, field_validator

from bot.sla_durations import parse_sla_target
from core.routing_rules import SEGMENTS
from core.sla import SlaTarget

Tier = Literal["hot", "warm", "cold"]
Count = Annotated[int, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
Name = Annotated[str, Field(min_length=1)]
Duration = Annotated[SlaTarget, PlainValidator(parse_sla_target)]


class Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class FitRuleTable(Table):
    field: Name
    points: float
    label: Name
    equals: list[str] = []
    contains: list[str] = []
    at_least: float | None = None
    at_most: float | None = None


class ScoringTable(Table):
    hot_at: Annotated[float, Field(ge=0, le=100)] | None = None
    warm_at: Annotated[float, Field(ge=0, le=100)] | None = None
    half_life_days: Positive | None = None
    fit_points: Positive | None = None
    intent_points: Positive | None = None
    intent_scale: Positive | None = None
    signal_weights: dict[str, float] | None = None
    """Replaces the built-in table: a kind not listed weighs nothing."""
    fit_rules: list[FitRuleTable] | None = None
    """Replace the built-in rules."""
    demo_request_kinds: list[Name] | None = None


class RuleTable(Table):
    name: Name
    kind: Literal["account_owner", "assign", "fallback"]
    territories: list[str] = []
    segments: list[str] = []
    industries: list[str] = []
    min_employees: Count | None = None
    max_employees: Count | None = None
    sources: list[str] = []
    tiers: list[Tier] = []
    reps: list[Name] = []
    weights: dict[str, Positive] = {}
    owner: Name | None = None

    @field_validator("segments")
    @classmethod
    def _known_segments(cls, segments: list[str]) -> list[str]:
        unknown = [name for name in segments if name.strip().casefold() not in SEGMENTS]
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not a segment; use {', '.join(SEGMENTS)}")
        return segments


class CapTable(Table):
    per_day: Count | None = None
    per_week: Count | None = None


class TierCapsTable(Table):
    hot: CapTable | None = None
    warm: CapTable | None = None
    cold: CapTable | None = None


class SegmentsTable(Table):
    mid_market_from: Annotated[int, Field(gt=0)] | None = None
    enterprise_from: Annotated[int, Field(gt=0)] | None = None


class RoutingTable(Table):
    fairness_days: Annotated[int, Field(ge=1)] | None = None
    queue: Name | None = None
    skip_outside_hours: bool | None = None
    segments: SegmentsTable = SegmentsTable()
    tier_caps: TierCapsTable = TierCapsTable()
    rules: list[RuleTable] | None = None
    """Replace the built-in rules (account owner, then round-robin over everyone)."""


class TargetsTable(Table):
    hot: Duration | None = None
    warm: Duration | None = None
    cold: Duration | None = None


class SlaTable(Table):
    working_hours: bool | None = None
    reminder_at: Annotated[float, Field(gt=0, lt=1)] | None = None
    escalate_at: Annotated[float, Field(gt=1)] | None = None
    reassign_on_escalation: bool | None = None
    targets: TargetsTable = TargetsTable()
    """Each tier left out keeps its built-in target."""


class AlertsTable(Table):
    channel_tiers: list[Tier] | None = None
    clock_tiers: list[Tier] | None = None
    default_team: Name | None = None


class DeskFile(Table):
    scoring: ScoringTable = ScoringTable()
    routing: RoutingTable = RoutingTable()
    sla: SlaTable = SlaTable()
    alerts: AlertsTable = AlertsTable()
