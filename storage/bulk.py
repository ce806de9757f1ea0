"""Bulk reads for the ranking's hot path, without per-value type processing.

Loading 400,000 deals through the column types costs several Python calls per value; here the
driver's raw values are turned into core values directly. SQLite hands back text for times and
JSON, PostgreSQL (psycopg) hands back `datetime` and `dict`; both are accepted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import (
    Table,
    literal_column,
    select,
)

from core.model import Deal, DealStatus, NextAction

_DEAL_COLUMNS = (
    "id", "name", "stage", "created_at", "external_id", "account_id", "contact_id", "owner_id",
    "amount", "currency", "stage_entered_at", "expected_close", "status", "closed_at",
    "next_action_text", "next_action_due", "next_action_owner_id", "source", "attributes",
)  # fmt: skip
_STATUS = {s.value: s for s in DealStatus}


def raw_deal_columns(table: Table) -> list[Any]:
    """Every deal column as the driver returns it (no SQLAlchemy result processing)."""
    return [literal_column(f"{table.name}.{name}") for name in _DEAL_COLUMNS]


def raw_deal_select(table: Table) -> Any:
    return select(*raw_deal_columns(table)).select_from(table)


def driver_rows(result: Any) -> list[Any]:
    """Every row of a result as the driver's own tuples, for statements whose columns need no
    result processing: at 400,000 rows SQLAlchemy's `Row` objects alone cost most of a second."""
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def days_before(at: datetime, values: Sequence[Any]) -> list[float | None]:
    """Days from each stored time to `at`, computed as `DealFacts` does (None stays None).

    One C parse and one subtraction per value: a fraction of building the datetimes and facts.
    """
    naive_at = at.astimezone(UTC).replace(tzinfo=None)
    parse = datetime.fromisoformat
    return [
        None
        if value is None
        else (naive_at - (parse(value) if type(value) is str else _naive(value))).total_seconds()
        / 86400
        for value in values
    ]


def _naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def day_numbers(values: Sequence[Any]) -> list[int | None]:
    """Stored dates (text or `date`) as ordinals; a pipeline has few distinct dates."""
    ordinals = {v: None if (day := _day(v)) is None else day.toordinal() for v in set(values)}
    return [ordinals[v] for v in values]


def utc(value: Any) -> datetime | None:
    """Aware UTC from SQLite's naive-UTC text or a driver's datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value + "+00:00")  # one C call; storage keeps naive UTC
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


EMPTY: Mapping[str, str] = MappingProxyType({})


def attributes_from_raw(value: Any) -> dict[str, str]:
    if value is None or value == "{}":
        return {}
    return dict(json.loads(value)) if isinstance(value, str | bytes) else dict(value)


def deal_from_raw(row: Any) -> Deal:
    """A `Deal` from one row of `raw_deal_select`, in its column order."""
    (id_, name, stage, created, external_id, account_id, contact_id, owner_id, amount, currency,
     entered, expected_close, status, closed, next_text, next_due, next_owner, source, attrs) = row  # fmt: skip
    return Deal(
        name=name,
        stage=stage,
        created_at=utc(created),  # type: ignore[arg-type]
        id=id_,
        external_id=external_id,
        account_id=account_id,
        contact_id=contact_id,
        owner_id=owner_id,
        amount=amount,
        currency=currency,
        stage_entered_at=utc(entered),
        expected_close=_day(expected_close),
        status=_STATUS[status],
        closed_at=utc(closed),
        next_action=NextAction(next_text, _day(next_due), next_owner) if next_text else None,
        source=source,
        attributes=attributes_from_raw(attrs),
    )
