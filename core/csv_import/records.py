"""One validated row per record kind. References (owner, account, deal) stay text keys here;
the import use case resolves them against what is already stored."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeVar

from core.model import ActivityKind, Attributes, DealStatus, LeadStatus


@dataclass(frozen=True, slots=True)
class RowError:
    """What is wrong with one cell. `row` counts as a spreadsheet does: header 1, data from 2."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column '{self.column}'" if self.column else "")
        return f"{where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class AccountRef:
    """How a row names its account: by the CRM's id, its web domain, or its name."""

    external_id: str | None = None
    domain: str | None = None
    name: str | None = None

    def __bool__(self) -> bool:
        return bool(self.external_id or self.domain or self.name)


@dataclass(frozen=True, slots=True)
class AccountRecord:
    row: int
    name: str
    external_id: str | None = None
    domain: str | None = None
    industry: str | None = None
    employees: int | None = None
    region: str | None = None
    owner: str | None = None
    attributes: Attributes = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ContactRecord:
    row: int
    name: str
    external_id: str | None = None
    email: str | None = None
    phone: str | None = None
    title: str | None = None
    account: AccountRef = AccountRef()
    attributes: Attributes = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LeadRecord:
    row: int
    name: str
    external_id: str | None = None
    email: str | None = None
    company: str | None = None
    domain: str | None = None
    phone: str | None = None
    source: str | None = None
    status: LeadStatus | None = None
    owner: str | None = None
    created_at: datetime | None = None
    converted_at: datetime | None = None
    account: AccountRef = AccountRef()
    attributes: Attributes = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DealRecord:
    row: int
    name: str
    stage: str
    status: DealStatus
    external_id: str | None = None
    amount: float | None = None
    currency: str | None = None
    owner: str | None = None
    account: AccountRef = AccountRef()
    contact_email: str | None = None
    created_at: datetime | None = None
    expected_close: date | None = None
    closed_at: datetime | None = None
    stage_entered_at: datetime | None = None
    next_step: str | None = None
    next_step_due: date | None = None
    source: str | None = None
    attributes: Attributes = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ActivityRecord:
    row: int
    kind: ActivityKind
    occurred_at: datetime
    external_id: str | None = None
    summary: str = ""
    outcome: str | None = None
    owner: str | None = None
    deal: str | None = None
    lead: str | None = None
    lead_email: str | None = None


V = TypeVar("V")

Record = AccountRecord | ContactRecord | LeadRecord | DealRecord | ActivityRecord


@dataclass(frozen=True, slots=True)
class RowValues:
    """The typed, non-blank values of one row by field, and the columns behind each field."""

    row: int
    values: Mapping[str, object]
    columns: Mapping[str, tuple[str, ...]]
    attributes: Attributes

    def get(self, name: str, value_type: type[V]) -> V | None:
        value = self.values.get(name)
        return value if isinstance(value, value_type) else None

    def text(self, name: str) -> str | None:
        return self.get(name, str)

    def missing(self, name: str) -> RowError:
        """The error for a required field left blank in this row."""
        columns = self.columns.get(name, ())
        where = ", ".join(f"'{column}'" for column in columns) or "none mapped"
        return RowError(
            self.row,
            columns[0] if columns else "",
            f"missing required field '{name}' (column {where})",
        )
