"""The deal repository, with the as-of facts query the ranking runs on.

`open_facts` is the hot path of every digest: one query for the deals, one aggregate over their
activities and one over recent signals, so 400,000 deals load without a row per activity.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import String, Table, and_, case, func, insert, select, type_coerce
from sqlmodel import col

from core.facts import DealFacts, OpenDeals
from core.model import Account, Deal, DealStatus, StageChange
from storage import convert
from storage.bulk import (
    EMPTY,
    attributes_from_raw,
    day_numbers,
    days_before,
    deal_from_raw,
    driver_rows,
    raw_deal_columns,
    raw_deal_select,
    utc,
)
from storage.repositories import SqlAccountRepository, _in_chunks, _RowRepository
from storage.tables import ActivityRow, DealRow, SignalRow, StageChangeRow

_ACTIVITY: Table = ActivityRow.__table__  # type: ignore[attr-defined]
_SIGNAL: Table = SignalRow.__table__  # type: ignore[attr-defined]
_STAGE_CHANGE: Table = StageChangeRow.__table__  # type: ignore[attr-defined]


class SqlDealRepository(_RowRepository[Deal, DealRow]):
    row_type = DealRow
    to_value = staticmethod(convert.deal_from_row)
    to_row = staticmethod(convert.deal_to_row)

    def find(self, *, external_id: str | None = None) -> Deal | None:
        return self._first(external_id=external_id)

    def list_open(self, *, owner_ids: Sequence[int] | None = None) -> list[Deal]:
        query = raw_deal_select(self.table).where(self.table.c.status == DealStatus.OPEN.value)
        if owner_ids is not None:
            query = query.where(self.table.c.owner_id.in_(list(owner_ids)))
        rows = self._execute(query.order_by(self.table.c.id)).all()
        return [deal_from_raw(row) for row in rows]

    def list_closed(self) -> list[Deal]:
        return self._all(DealRow.status != DealStatus.OPEN.value)

    def by_ids(self, deal_ids: Iterable[int]) -> list[Deal]:
        wanted = sorted(set(deal_ids))
        found: list[Deal] = []
        for start in range(0, len(wanted), 5000):
            query = raw_deal_select(self.table).where(
                self.table.c.id.in_(wanted[start : start + 5000])
            )
            found.extend(deal_from_raw(row) for row in self._execute(query).all())
        return found

    def add_stage_change(self, change: StageChange) -> None:
        self._execute(insert(_STAGE_CHANGE), convert.row_values(change))

    def stage_changes(self, deal_ids: Iterable[int] | None = None) -> list[StageChange]:
        changes = _in_chunks(
            self.session,
            StageChangeRow,
            col(StageChangeRow.deal_id),
            deal_ids,
            convert.stage_change_from_row,
        )
        return sorted(changes, key=lambda c: (c.deal_id, c.changed_at))

    def open_facts(self, *, owner_ids: Sequence[int] | None, at: datetime) -> list[DealFacts]:
        deals = [d for d in self.list_open(owner_ids=owner_ids) if d.created_at <= at]
        touches = self._touch_stats(owner_ids, at)
        signals = self._signal_stats(owner_ids, at)
        accounts = SqlAccountRepository(self.session).by_ids(
            d.account_id for d in deals if d.account_id is not None
        )
        return [
            _facts(d, at, touches.get(d.id or 0), signals.get(d.id or 0), accounts) for d in deals
        ]

    def open_deals(self, *, owner_ids: Sequence[int] | None, at: datetime) -> OpenDeals:
        """The same deals as `open_facts`, column by column (facts built only when asked for)."""
        deal = self.table.c
        query = (
            select(*raw_deal_columns(self.table))
            .where(self._open_deals_of(owner_ids), deal.created_at <= at)
            .order_by(deal.id)
        )
        rows = driver_rows(self._execute(query))
        touches = driver_rows(self._execute(_as_stored(self._touch_stats_query(owner_ids, at))))
        signals = driver_rows(self._execute(_as_stored(self._signal_stats_query(owner_ids, at))))
        accounts = SqlAccountRepository(self.session).by_ids(
            {row[_ACCOUNT] for row in rows if row[_ACCOUNT] is not None}
        )
        return _columns(rows, touches, signals, at, accounts)

    def _open_deals_of(self, owner_ids: Sequence[int] | None) -> Any:
        """A join condition set for the open deals of these owners (all owners when None)."""
        conditions = [self.table.c.status == DealStatus.OPEN.value]
        if owner_ids is not None:
            conditions.append(self.table.c.owner_id.in_(list(owner_ids)))
        return and_(*conditions)

    def _touch_stats_query(self, owner_ids: Sequence[int] | None, at: datetime) -> Any:
        """Last touch and counts per open deal, in one grouped join (no per-deal id lists)."""
        c = _ACTIVITY.c
        day14, day30 = at - timedelta(days=14), at - timedelta(days=30)
        return (
            select(
                c.deal_id.label("deal_id"),
                func.max(c.occurred_at).label("last"),
                func.sum(case((c.occurred_at > day14, 1), else_=0)).label("n14"),
                func.sum(case((c.occurred_at > day30, 1), else_=0)).label("n30"),
                func.count().label("total"),
            )
            .join_from(_ACTIVITY, self.table, self.table.c.id == c.deal_id)
            .where(self._open_deals_of(owner_ids), c.occurred_at <= at)
            .group_by(c.deal_id)
        )

    def _touch_stats(
        self, owner_ids: Sequence[int] | None, at: datetime
    ) -> dict[int, tuple[Any, ...]]:
        return {
            deal_id: (last, int(n14 or 0), int(n30 or 0), int(total))
            for deal_id, last, n14, n30, total in self._execute(
                self._touch_stats_query(owner_ids, at)
            )
        }

    def _signal_stats_query(self, owner_ids: Sequence[int] | None, at: datetime) -> Any:
        c = _SIGNAL.c
        return (
            select(
                c.deal_id.label("deal_id"),
                func.max(c.occurred_at).label("last"),
                func.count().label("total"),
            )
            .join_from(_SIGNAL, self.table, self.table.c.id == c.deal_id)
            .where(
                self._open_deals_of(owner_ids),
                c.occurred_at <= at,
                c.occurred_at > at - timedelta(days=7),
            )
            .group_by(c.deal_id)
        )

    def _signal_stats(
        self, owner_ids: Sequence[int] | None, at: datetime
    ) -> dict[int, tuple[Any, ...]]:
        query = self._signal_stats_query(owner_ids, at)
        return {deal_id: (last, int(count)) for deal_id, last, count in self._execute(query)}


def _facts(
    deal: Deal,
    at: datetime,
    touches: tuple[Any, ...] | None,
    signals: tuple[Any, ...] | None,
    accounts: dict[int, Account],
) -> DealFacts:
    last_touch, n14, n30, total = touches or (None, 0, 0, 0)
    last_signal, n_signals = signals or (None, 0)
    return DealFacts(
        deal=deal,
        as_of=at,
        stage=deal.stage,
        stage_entered_at=deal.stage_entered_at or deal.created_at,
        amount=deal.amount,
        last_touch_at=utc(last_touch),
        touches_14d=n14,
        touches_30d=n30,
        touches_total=total,
        last_signal_at=utc(last_signal),
        signals_7d=n_signals,
        account=accounts.get(deal.account_id) if deal.account_id is not None else None,
    )


def _as_stored(stats: Any) -> Any:
    """Per-deal stats with the last time left as the driver returns it (`utc` reads it later)."""
    c = stats.subquery().c
    return select(c.deal_id, type_coerce(c.last, String), *(c[k] for k in c.keys()[2:]))


# Positions in a `raw_deal_columns` row.
_STAGE, _CREATED, _ACCOUNT, _OWNER, _AMOUNT, _ENTERED, _CLOSE = 2, 3, 5, 7, 8, 10, 11
_NEXT_TEXT, _NEXT_DUE, _SOURCE, _ATTRIBUTES = 14, 15, 17, 18
_RAW = 19
_NO_TOUCH: tuple[Any, ...] = (None, None, 0, 0, 0)
_NO_SIGNAL: tuple[Any, ...] = (None, None, 0)


def _clamped(days: list[float | None]) -> list[float | None]:
    # max(0.0, d), as DealFacts clamps, without a call per value
    return [None if d is None else d if d > 0.0 else 0.0 for d in days]


def _columns(
    rows: Sequence[Any],
    touch_rows: Sequence[Any],
    signal_rows: Sequence[Any],
    at: datetime,
    accounts: dict[int, Account],
) -> OpenDeals:
    cols = list(zip(*rows, strict=True)) if rows else [()] * _RAW
    ids = cols[0]
    by_touch = {row[0]: row for row in touch_rows}
    by_signal = {row[0]: row for row in signal_rows}
    touches = [by_touch.get(i, _NO_TOUCH) for i in ids]
    signals = [by_signal.get(i, _NO_SIGNAL) for i in ids]
    entered = [e or c for c, e in zip(cols[_CREATED], cols[_ENTERED], strict=True)]
    today = at.date().toordinal()
    due = day_numbers(
        [d if text else None for text, d in zip(cols[_NEXT_TEXT], cols[_NEXT_DUE], strict=True)]
    )

    def facts(index: int) -> DealFacts:
        _, last_touch, n14, n30, total = touches[index]
        _, last_signal, n_signals = signals[index]
        touch = (last_touch, int(n14), int(n30), int(total))
        return _facts(
            deal_from_raw(rows[index]), at, touch, (last_signal, int(n_signals)), accounts
        )

    return OpenDeals(
        as_of=at,
        deal_id=ids,
        owner_id=cols[_OWNER],
        account_id=[a if a in accounts else None for a in cols[_ACCOUNT]],
        stage=cols[_STAGE],
        amount=cols[_AMOUNT],
        source=cols[_SOURCE],
        attributes=[
            EMPTY if raw is None or raw == "{}" else attributes_from_raw(raw)
            for raw in cols[_ATTRIBUTES]
        ],
        # created_at is never null, and entered falls back to it
        age_days=cast(list[float], _clamped(days_before(at, cols[_CREATED]))),
        days_in_stage=cast(list[float], _clamped(days_before(at, entered))),
        days_since_touch=_clamped(days_before(at, [t[1] for t in touches])),
        touches_14d=[int(t[2]) for t in touches],
        touches_30d=[int(t[3]) for t in touches],
        touches_total=[int(t[4]) for t in touches],
        days_since_signal=days_before(at, [s[1] for s in signals]),
        signals_7d=[int(s[2]) for s in signals],
        next_step_late_days=[None if d is None else today - d for d in due],
        days_to_close=[None if d is None else d - today for d in day_numbers(cols[_CLOSE])],
        accounts=accounts,
        facts=facts,
    )
