"""SQL repositories for reps, teams, accounts, contacts, leads, activities and signals.

Deals (with the as-of facts query) live in `storage.deals`; actions, model versions and the
audit log in `storage.records`. Repositories flush so ids are known; they never commit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any, Generic, TypeVar

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlmodel import Session, SQLModel, col

from core.facts import LeadFacts
from core.history import LEAD_WINDOW, lead_window_facts
from core.model import Account, Activity, Contact, Lead, Rep, Signal, Team
from storage import convert
from storage.lead_statements import ADVANCE_CLOCK, OPEN_BY_EMAIL, OPEN_LEAD_STATUSES
from storage.tables import (
    AccountRow,
    ActivityRow,
    ContactRow,
    LeadRow,
    RepRow,
    SignalRow,
    TeamRow,
)

V = TypeVar("V")
R = TypeVar("R", bound=SQLModel)


class _RowRepository(Generic[V, R]):
    """Add, get, update and find through SQLAlchemy Core on the row's table.

    Core statements skip the ORM's unit-of-work bookkeeping, which dominated imports and the
    ranking's bulk loads; the session's connection keeps them in the same transaction.
    """

    row_type: type[R]
    to_value: Callable[[Any], V]
    to_row: Callable[[V], dict[str, Any]]

    def __init__(self, session: Session) -> None:
        self.session = session
        self.table: Table = self.row_type.__table__  # type: ignore[attr-defined]
        self._lookups: dict[str, Any] = {}

    def _execute(self, statement: Any, parameters: dict[str, Any] | None = None) -> Any:
        return self.session.connection().execute(statement, parameters)

    def add(self, value: V) -> V:
        values = type(self).to_row(value)
        values.pop("id", None)
        # One constant statement with parameters, so SQLAlchemy compiles it once and caches it.
        result = self._execute(insert(self.table), values)
        return type(self).to_value(SimpleNamespace(**values, id=result.inserted_primary_key[0]))

    def get(self, value_id: int) -> V | None:
        row = self._execute(select(self.table).where(self.table.c.id == value_id)).first()
        return type(self).to_value(row) if row is not None else None

    def update(self, value: V) -> V:
        row_id = value.id
        values = type(self).to_row(value)
        values.pop("id", None)
        result = self._execute(_update_by_id(self.table), {**values, "row_id": row_id})
        if result.rowcount == 0:
            raise LookupError(f"{self.row_type.__name__} {row_id} does not exist")
        return type(self).to_value(SimpleNamespace(**values, id=row_id))

    def _first(self, **criteria: Any) -> V | None:
        for name, wanted in criteria.items():
            if wanted is None:
                continue
            row = self._execute(self._lookup(name), {"wanted": wanted}).first()
            if row is not None:
                return type(self).to_value(row)
        return None

    def _lookup(self, column: str) -> Any:
        """The first row whose `column` equals :wanted; built once per column and reused."""
        statement = self._lookups.get(column)
        if statement is None:
            table = self.table
            statement = (
                select(table)
                .where(table.c[column] == bindparam("wanted"))
                .order_by(table.c.id)
                .limit(1)
            )
            self._lookups[column] = statement
        return statement

    def _all(self, *conditions: Any) -> list[V]:
        query = select(self.table).where(*conditions).order_by(self.table.c.id)
        to_value = type(self).to_value
        return [to_value(row) for row in self._execute(query).all()]


class SqlRepRepository(_RowRepository[Rep, RepRow]):
    row_type = RepRow
    to_value = staticmethod(convert.rep_from_row)
    to_row = staticmethod(convert.rep_to_row)

    def by_email(self, email: str) -> Rep | None:
        return self._first(email=email.strip().lower())

    def by_chat_id(self, platform: str, user_id: str) -> Rep | None:
        column = {"slack": "slack_user_id", "teams": "teams_user_id"}.get(platform)
        if column is None:
            raise ValueError(f"unknown chat platform {platform!r}")
        return self._first(**{column: user_id})

    def list(self, *, active_only: bool = True) -> list[Rep]:
        return self._all(RepRow.active == True) if active_only else self._all()  # noqa: E712


class SqlTeamRepository(_RowRepository[Team, TeamRow]):
    row_type = TeamRow
    to_value = staticmethod(convert.team_from_row)
    to_row = staticmethod(convert.row_values)

    def list(self) -> list[Team]:
        return self._all()


class SqlAccountRepository(_RowRepository[Account, AccountRow]):
    row_type = AccountRow
    to_value = staticmethod(convert.account_from_row)
    to_row = staticmethod(convert.account_to_row)

    def find(
        self, *, external_id: str | None = None, domain: str | None = None, name: str | None = None
    ) -> Account | None:
        key = convert.name_key(name) if name else None
        return self._first(external_id=external_id, domain=domain, name_key=key)

    def list(self) -> list[Account]:
        return self._all()

    def by_ids(self, ids: Iterable[int]) -> dict[int, Account]:
        wanted = sorted(set(ids))
        found: dict[int, Account] = {}
        for start in range(0, len(wanted), 5000):
            chunk = wanted[start : start + 5000]
            for row in self._execute(select(self.table).where(self.table.c.id.in_(chunk))):
                found[row.id] = convert.account_from_row(row)
        return found


class SqlContactRepository(_RowRepository[Contact, ContactRow]):
    row_type = ContactRow
    to_value = staticmethod(convert.contact_from_row)
    to_row = staticmethod(convert.contact_to_row)

    def find(self, *, external_id: str | None = None, email: str | None = None) -> Contact | None:
        return self._first(external_id=external_id, email=email)

    def list(self) -> list[Contact]:
        return self._all()


class SqlLeadRepository(_RowRepository[Lead, LeadRow]):
    row_type = LeadRow
    to_value = staticmethod(convert.lead_from_row)
    to_row = staticmethod(convert.lead_to_row)

    def find(self, *, external_id: str | None = None, email: str | None = None) -> Lead | None:
        return self._first(external_id=external_id, email=email)

    def list_open(self, *, owner_ids: Sequence[int] | None = None) -> list[Lead]:
        conditions: list[Any] = [col(LeadRow.status).in_(OPEN_LEAD_STATUSES)]
        if owner_ids is not None:
            conditions.append(col(LeadRow.owner_id).in_(list(owner_ids)))
        return self._all(*conditions)

    def list_closed(self) -> list[Lead]:
        return self._all(~col(LeadRow.status).in_(OPEN_LEAD_STATUSES))

    def find_open(self, *, email: str) -> Lead | None:
        row = self._execute(OPEN_BY_EMAIL, {"email": email}).first()
        return convert.lead_from_row(row) if row is not None else None

    def clocks_due(self, at: datetime, *, limit: int) -> list[Lead]:
        query = (
            select(self.table)
            .where(self.table.c.sla_next_at <= at)
            .order_by(self.table.c.sla_next_at, self.table.c.id)
            .limit(limit)
        )
        return [convert.lead_from_row(row) for row in self._execute(query).all()]

    def with_clocks(self, *, since: datetime, until: datetime) -> list[Lead]:
        started = self.table.c.sla_started_at
        return self._all(started >= since, started < until)

    def advance_clock(
        self,
        lead_id: int,
        *,
        started_at: datetime,
        from_fired: int,
        to_fired: int,
        next_at: datetime | None,
    ) -> bool:
        values = {"lead_id": lead_id, "from_fired": from_fired, "started_at": started_at}
        values |= {"to_fired": to_fired, "next_at": next_at}
        return bool(self._execute(ADVANCE_CLOCK, values).rowcount == 1)

    def stop_clock(self, lead_id: int) -> None:
        statement = update(self.table).where(self.table.c.id == lead_id).values(sla_next_at=None)
        self.session.connection().execute(statement)

    def facts_for(self, lead_ids: Sequence[int], *, at: datetime) -> list[LeadFacts]:
        leads = self._all(col(LeadRow.id).in_(list(lead_ids)))
        return self._facts(leads, at)

    def open_facts(self, *, owner_ids: Sequence[int] | None, at: datetime) -> list[LeadFacts]:
        leads = [lead for lead in self.list_open(owner_ids=owner_ids) if lead.created_at <= at]
        return self._facts(leads, at)

    def _facts(self, leads: list[Lead], at: datetime) -> list[LeadFacts]:
        ids = [lead.id for lead in leads if lead.id is not None]
        signals = _group(SqlSignalRepository(self.session).for_leads(ids), "lead_id")
        touches = _group(SqlActivityRepository(self.session).for_leads(ids), "lead_id")
        accounts = SqlAccountRepository(self.session).by_ids(
            lead.account_id for lead in leads if lead.account_id is not None
        )
        return [
            _lead_facts(
                lead,
                signals.get(lead.id, []),
                touches.get(lead.id, []),
                at,
                accounts.get(lead.account_id) if lead.account_id is not None else None,
            )
            for lead in leads
        ]


def _group(items: Iterable[Any], key: str) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = {}
    for item in items:
        grouped.setdefault(getattr(item, key), []).append(item)
    return grouped


def _lead_facts(
    lead: Lead,
    signals: list[Signal],
    touches: list[Activity],
    at: datetime,
    account: Account | None,
) -> LeadFacts:
    touch_times = sorted(t.occurred_at for t in touches)
    cutoff = min(at, lead.created_at + LEAD_WINDOW)
    return lead_window_facts(lead, signals, touch_times, as_of=at, cutoff=cutoff, account=account)


def _in_chunks(
    session: Session,
    row_type: Any,
    column: Any,
    ids: Iterable[int] | None,
    to_value: Callable[[Any], V],
) -> list[V]:
    if ids is None:
        query = select(row_type.__table__).where(column != None)  # noqa: E711
        return [to_value(r) for r in session.connection().execute(query)]
    wanted = sorted(set(ids))
    found: list[V] = []
    query = _rows_where_in(row_type.__table__, column)
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        found.extend(to_value(r) for r in session.connection().execute(query, {"ids": chunk}))
    return found


@functools.cache
def _rows_where_in(table: Table, column: Any) -> Any:
    """Rows whose `column` is in :ids (an expanding list), built and compiled once per column."""
    return select(table).where(column.in_(bindparam("ids", expanding=True)))


@functools.cache
def _update_by_id(table: Table) -> Any:
    """UPDATE of the row :row_id, values given at execution: built and compiled once per table."""
    return update(table).where(table.c.id == bindparam("row_id"))


class SqlActivityRepository(_RowRepository[Activity, ActivityRow]):
    row_type = ActivityRow
    to_value = staticmethod(convert.activity_from_row)
    to_row = staticmethod(convert.activity_to_row)

    def find(self, *, external_id: str) -> Activity | None:
        return self._first(external_id=external_id)

    def delete(self, activity_id: int) -> None:
        self._execute(delete(self.table).where(self.table.c.id == activity_id))

    def for_deals(self, deal_ids: Iterable[int] | None = None) -> list[Activity]:
        return _in_chunks(
            self.session, ActivityRow, col(ActivityRow.deal_id), deal_ids, self.to_value
        )

    def for_leads(self, lead_ids: Iterable[int] | None = None) -> list[Activity]:
        return _in_chunks(
            self.session, ActivityRow, col(ActivityRow.lead_id), lead_ids, self.to_value
        )


class SqlSignalRepository(_RowRepository[Signal, SignalRow]):
    row_type = SignalRow
    to_value = staticmethod(convert.signal_from_row)
    to_row = staticmethod(convert.row_values)

    def for_leads(self, lead_ids: Iterable[int] | None = None) -> list[Signal]:
        return _in_chunks(self.session, SignalRow, col(SignalRow.lead_id), lead_ids, self.to_value)
