"""In-memory stand-ins for the storage ports: dict repositories and a unit of work.

`FakeDatabase` outlives each unit of work, as a real database does: a unit of work works on a
copy of its tables and writes them back only on `commit()`, so a rollback (or leaving the `with`
block without committing) leaves the database as it was. `find` matches like the SQL
repositories: each given key in turn, names case- and space-insensitively.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from core.model import (
    Account,
    Activity,
    Contact,
    Deal,
    DealStatus,
    Lead,
    LeadStatus,
    Rep,
    StageChange,
)
from core.ports import OutboxItem, TeamsConversation

V = TypeVar("V")


def _name_key(name: str) -> str:
    return " ".join(name.lower().split())


class _DictRepository(Generic[V]):
    def __init__(self, rows: dict[int, V]) -> None:
        self.rows = rows

    def add(self, value: V) -> V:
        stored = dataclasses.replace(value, id=max(self.rows, default=0) + 1)  # type: ignore[type-var]
        self.rows[stored.id] = stored  # type: ignore[attr-defined]
        return stored

    def get(self, value_id: int) -> V | None:
        return self.rows.get(value_id)

    def update(self, value: V) -> V:
        value_id = value.id  # type: ignore[attr-defined]
        if value_id not in self.rows:
            raise LookupError(f"{type(value).__name__} {value_id} does not exist")
        self.rows[value_id] = value
        return value

    def list(self) -> list[V]:
        return [self.rows[key] for key in sorted(self.rows)]

    def _first(self, **criteria: Any) -> V | None:
        for name, wanted in criteria.items():
            if wanted is None:
                continue
            for value in self.list():
                found = getattr(value, name)
                if name == "name":
                    found, wanted = _name_key(found), _name_key(wanted)
                if found == wanted:
                    return value
        return None


class FakeRepRepository(_DictRepository[Rep]):
    def by_email(self, email: str) -> Rep | None:
        return self._first(email=email.strip().lower())

    def list(self, *, active_only: bool = True) -> list[Rep]:  # type: ignore[override]
        return [rep for rep in super().list() if rep.active or not active_only]


class FakeAccountRepository(_DictRepository[Account]):
    def find(
        self, *, external_id: str | None = None, domain: str | None = None, name: str | None = None
    ) -> Account | None:
        return self._first(external_id=external_id, domain=domain, name=name)


class FakeContactRepository(_DictRepository[Contact]):
    def find(self, *, external_id: str | None = None, email: str | None = None) -> Contact | None:
        return self._first(external_id=external_id, email=email)


class FakeLeadRepository(_DictRepository[Lead]):
    def find(self, *, external_id: str | None = None, email: str | None = None) -> Lead | None:
        return self._first(external_id=external_id, email=email)

    def list_open(self, *, owner_ids: Iterable[int] | None = None) -> list[Lead]:
        owners = set(owner_ids) if owner_ids is not None else None
        return [
            lead
            for lead in self.list()
            if lead.status in (LeadStatus.NEW, LeadStatus.WORKING)
            and (owners is None or lead.owner_id in owners)
        ]

    def list_closed(self) -> list[Lead]:
        return [lead for lead in self.list() if lead.outcome is not None]

    def find_open(self, *, email: str) -> Lead | None:
        found = [lead for lead in self.list_open() if lead.email == email]
        return found[-1] if found else None

    def clocks_due(self, at: datetime, *, limit: int) -> list[Lead]:
        due = [lead for lead in self.list() if lead.sla_next_at and lead.sla_next_at <= at]
        return sorted(due, key=lambda lead: (lead.sla_next_at, lead.id))[:limit]

    def advance_clock(
        self,
        lead_id: int,
        *,
        started_at: datetime,
        from_fired: int,
        to_fired: int,
        next_at: datetime | None,
    ) -> bool:
        lead = self.rows.get(lead_id)
        if lead is None or lead.first_touch_at is not None or lead.sla_fired != from_fired:
            return False
        if lead.clock_started_at != started_at:
            return False
        self.rows[lead_id] = replace(lead, sla_fired=to_fired, sla_next_at=next_at)
        return True

    def stop_clock(self, lead_id: int) -> None:
        if lead_id in self.rows:
            self.rows[lead_id] = replace(self.rows[lead_id], sla_next_at=None)

    def with_clocks(self, *, since: datetime, until: datetime) -> list[Lead]:
        return [
            lead
            for lead in self.list()
            if lead.sla_started_at is not None and since <= lead.sla_started_at < until
        ]


class FakeDealRepository(_DictRepository[Deal]):
    def __init__(self, rows: dict[int, Deal], changes: list[StageChange]) -> None:
        super().__init__(rows)
        self.changes = changes

    def find(self, *, external_id: str | None = None) -> Deal | None:
        return self._first(external_id=external_id)

    def list_open(self, *, owner_ids: Iterable[int] | None = None) -> list[Deal]:
        owners = set(owner_ids) if owner_ids is not None else None
        return [
            deal
            for deal in self.list()
            if deal.status is DealStatus.OPEN and (owners is None or deal.owner_id in owners)
        ]

    def list_closed(self) -> list[Deal]:
        return [deal for deal in self.list() if deal.status is not DealStatus.OPEN]

    def add_stage_change(self, change: StageChange) -> None:
        if change.deal_id not in self.rows:
            raise LookupError(f"Deal {change.deal_id} does not exist")
        self.changes.append(change)

    def stage_changes(self, deal_ids: Iterable[int] | None = None) -> list[StageChange]:
        wanted = set(deal_ids) if deal_ids is not None else None
        return [c for c in self.changes if wanted is None or c.deal_id in wanted]


class FakeActivityRepository(_DictRepository[Activity]):
    def find(self, *, external_id: str) -> Activity | None:
        return self._first(external_id=external_id)

    def for_deals(self, deal_ids: Iterable[int] | None = None) -> list[Activity]:
        wanted = set(deal_ids) if deal_ids is not None else None
        return [a for a in self.list() if a.deal_id and (wanted is None or a.deal_id in wanted)]

    def for_leads(self, lead_ids: Iterable[int] | None = None) -> list[Activity]:
        wanted = set(lead_ids) if lead_ids is not None else None
        return [a for a in self.list() if a.lead_id and (wanted is None or a.lead_id in wanted)]


class FakeTeamsConversations:
    def __init__(self, rows: dict[str, TeamsConversation]) -> None:
        self.rows = rows

    def save(self, conversation: TeamsConversation, *, replace: bool = True) -> None:
        known = self.rows.get(conversation.key)
        if known is None:
            self.rows[conversation.key] = conversation
        elif replace:
            kept = {f: getattr(known, f) for f in ("tenant_id", "team_name", "channel_name")}
            given = {f: v for f, v in kept.items() if getattr(conversation, f) is None}
            self.rows[conversation.key] = dataclasses.replace(conversation, **given)

    def get(self, key: str) -> TeamsConversation | None:
        return self.rows.get(key)

    def forget(self, key: str) -> None:
        self.rows.pop(key, None)

    def channels(self) -> list[TeamsConversation]:
        found = [c for c in self.rows.values() if c.key.startswith("channel:")]
        return sorted(found, key=lambda c: (c.team_name or "", c.channel_name or "", c.key))


class FakeOutbox:
    """Outbox rows by key: a repeated key is a no-op that returns False, as in the SQL outbox."""

    def __init__(self, rows: dict[str, OutboxItem]) -> None:
        self.rows = rows

    def enqueue(
        self,
        *,
        key: str,
        platform: str,
        target: str,
        payload: dict[str, Any],
        at: datetime,
        not_before: datetime | None = None,
    ) -> bool:
        if key in self.rows:
            return False
        self.rows[key] = OutboxItem(
            id=len(self.rows) + 1,
            key=key,
            platform=platform,
            target=target,
            payload=payload,
            status="pending",
            attempts=0,
            created_at=at,
            next_attempt_at=max(at, not_before) if not_before is not None else at,
        )
        return True

    def revise(
        self,
        *,
        key: str,
        edit_of: str,
        platform: str,
        target: str,
        payload: dict[str, Any],
        at: datetime,
    ) -> None:
        payload = {**payload, "edit_of": edit_of}
        if not self.enqueue(key=key, platform=platform, target=target, payload=payload, at=at):
            row = self.rows[key]
            self.rows[key] = replace(
                row, payload=payload, status="pending", attempts=0, next_attempt_at=at
            )

    def exists(self, key: str) -> bool:
        return key in self.rows

    def existing(self, keys: Iterable[str]) -> set[str]:
        return {key for key in keys if key in self.rows}

    def keys_with_prefix(self, prefix: str) -> set[str]:
        return {key for key in self.rows if key.startswith(prefix)}


class FakeIdempotencyKeys:
    def __init__(self, keys: dict[str, datetime], results: dict[str, str]) -> None:
        self.keys = keys
        self.results = results

    def claim(self, key: str, *, at: datetime) -> bool:
        if key in self.keys:
            return False
        self.keys[key] = at
        return True

    def set_result(self, key: str, result: str) -> None:
        self.results[key] = result

    def result(self, key: str) -> str | None:
        return self.results.get(key)

    def forget_before(self, before: datetime, *, limit: int) -> int:
        old = sorted((at, key) for key, at in self.keys.items() if at < before)[:limit]
        for _, key in old:
            del self.keys[key]
            self.results.pop(key, None)
        return len(old)


@dataclass
class FakeDatabase:
    """What has been committed, table by table."""

    reps: dict[int, Rep] = field(default_factory=dict)
    accounts: dict[int, Account] = field(default_factory=dict)
    contacts: dict[int, Contact] = field(default_factory=dict)
    deals: dict[int, Deal] = field(default_factory=dict)
    leads: dict[int, Lead] = field(default_factory=dict)
    activities: dict[int, Activity] = field(default_factory=dict)
    stage_changes: list[StageChange] = field(default_factory=list)
    outbox: dict[str, OutboxItem] = field(default_factory=dict)
    idempotency_keys: dict[str, datetime] = field(default_factory=dict)
    idempotency_results: dict[str, str] = field(default_factory=dict)
    teams_conversations: dict[str, TeamsConversation] = field(default_factory=dict)

    def snapshot(self) -> FakeDatabase:
        """An independent copy; stored values are frozen, so copying the containers is enough."""
        return FakeDatabase(
            reps=dict(self.reps),
            accounts=dict(self.accounts),
            contacts=dict(self.contacts),
            deals=dict(self.deals),
            leads=dict(self.leads),
            activities=dict(self.activities),
            stage_changes=list(self.stage_changes),
            outbox=dict(self.outbox),
            idempotency_keys=dict(self.idempotency_keys),
            idempotency_results=dict(self.idempotency_results),
            teams_conversations=dict(self.teams_conversations),
        )


class FakeUnitOfWork:
    """Works on a copy of the database; `commit()` writes it back and sets `committed`."""

    def __init__(self, database: FakeDatabase) -> None:
        self.database = database
        self.committed = False

    def __enter__(self) -> Self:
        self._open(self.database.snapshot())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    def commit(self) -> None:
        for f in dataclasses.fields(self.database):
            setattr(self.database, f.name, getattr(self._working, f.name))
        self._open(self.database.snapshot())
        self.committed = True

    def rollback(self) -> None:
        self._open(self.database.snapshot())

    def _open(self, working: FakeDatabase) -> None:
        self._working = working
        self.reps = FakeRepRepository(working.reps)
        self.accounts = FakeAccountRepository(working.accounts)
        self.contacts = FakeContactRepository(working.contacts)
        self.deals = FakeDealRepository(working.deals, working.stage_changes)
        self.leads = FakeLeadRepository(working.leads)
        self.activities = FakeActivityRepository(working.activities)
        self.outbox = FakeOutbox(working.outbox)
        self.idempotency = FakeIdempotencyKeys(
            working.idempotency_keys, working.idempotency_results
        )
        self.teams_conversations = FakeTeamsConversations(working.teams_conversations)
