"""The deal repository, with the as-of facts query the ranking runs on.

`open_facts` is the hot path of every digest: one query for the deals, one aggregate over their
activities and one over recent signals, so 400,000 deals load without a row per activity.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, insert
from sqlmodel import col, select

from core.facts import DealFacts
from core.model import Account, Deal, DealStatus, StageChange
from storage import convert
from storage.bulk import deal_from_raw, raw_deal_select, utc
from storage.repositories import SqlAccountRepository, _in_chunks, _RowRepository
from storage.tables import ActivityRow, DealRow, SignalRow, StageChangeRow


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

    def add_stage_change(self, change: StageChange) -> None:
        self._execute(insert(StageChangeRow.__table__), convert.row_values(change))

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
        return [_facts(d, at, touches.get(d.id), signals.get(d.id), accounts) for d in deals]

    def _open_deals_of(self, owner_ids: Sequence[int] | None) -> Any:
        """A join condition set for the open deals of these owners (all owners when None)."""
        conditions = [self.table.c.status == DealStatus.OPEN.value]
        if owner_ids is not None:
            conditions.append(self.table.c.owner_id.in_(list(owner_ids)))
        return and_(*conditions)

    def _touch_stats(
        self, owner_ids: Sequence[int] | None, at: datetime
    ) -> dict[int, tuple[Any, ...]]:
        """Last touch and counts per open deal, in one grouped join (no per-deal id lists)."""
        c = ActivityRow.__table__.c
        day14, day30 = at - timedelta(days=14), at - timedelta(days=30)
        query = (
            select(
                c.deal_id,
                func.max(c.occurred_at),
                func.sum(case((c.occurred_at > day14, 1), else_=0)),
                func.sum(case((c.occurred_at > day30, 1), else_=0)),
                func.count(),
            )
            .join_from(ActivityRow.__table__, self.table, self.table.c.id == c.deal_id)
            .where(self._open_deals_of(owner_ids), c.occurred_at <= at)
            .group_by(c.deal_id)
        )
        return {
            deal_id: (last, int(n14 or 0), int(n30 or 0), int(total))
            for deal_id, last, n14, n30, total in self._execute(query)
        }

    def _signal_stats(
        self, owner_ids: Sequence[int] | None, at: datetime
    ) -> dict[int, tuple[Any, ...]]:
        c = SignalRow.__table__.c
        query = (
            select(c.deal_id, func.max(c.occurred_at), func.count())
            .join_from(SignalRow.__table__, self.table, self.table.c.id == c.deal_id)
            .where(
                self._open_deals_of(owner_ids),
                c.occurred_at <= at,
                c.occurred_at > at - timedelta(days=7),
            )
            .group_by(c.deal_id)
        )
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
