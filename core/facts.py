"""What is known about a deal or a lead at one moment.

Win probability, expected days and the ranking all read these snapshots and nothing else, so the
same code serves a live ranking (facts as of now) and training (facts as of a moment in a closed
deal's past, built only from what had happened by then).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from core.model import Account, Attributes, Deal, Lead


@dataclass(frozen=True, slots=True)
class DealFacts:
    deal: Deal
    as_of: datetime
    stage: str
    stage_entered_at: datetime
    amount: float | None
    last_touch_at: datetime | None = None
    touches_14d: int = 0
    touches_30d: int = 0
    touches_total: int = 0
    last_signal_at: datetime | None = None
    signals_7d: int = 0
    account: Account | None = None

    @property
    def age_days(self) -> float:
        return max(0.0, (self.as_of - self.deal.created_at).total_seconds() / 86400)

    @property
    def days_in_stage(self) -> float:
        return max(0.0, (self.as_of - self.stage_entered_at).total_seconds() / 86400)

    @property
    def days_since_touch(self) -> float | None:
        if self.last_touch_at is None:
            return None
        return max(0.0, (self.as_of - self.last_touch_at).total_seconds() / 86400)


@dataclass(frozen=True, slots=True)
class LeadFacts:
    lead: Lead
    as_of: datetime
    signals_7d: int = 0
    signals_total: int = 0
    signal_weight_7d: float = 0.0
    last_signal_at: datetime | None = None
    touches_total: int = 0
    account: Account | None = None

    @property
    def age_days(self) -> float:
        return max(0.0, (self.as_of - self.lead.created_at).total_seconds() / 86400)


@dataclass(frozen=True, slots=True)
class OpenDeals:
    """Many open deals as of one moment, one sequence per column (index i is one deal throughout).

    The bulk ranking scores 400,000 deals from these columns and builds a `DealFacts` (with
    `facts(i)`) only for the few that make a list. Every column means what the `DealFacts`
    property of the same name means; `next_step_late_days` is how many days ago the next step was
    due (negative while it is still ahead; None without a dated next step) and `days_to_close`
    the days from `as_of`'s date to the expected close (None when unset).
    """

    as_of: datetime
    deal_id: Sequence[int]
    owner_id: Sequence[int | None]
    account_id: Sequence[int | None]
    stage: Sequence[str]
    amount: Sequence[float | None]
    source: Sequence[str | None]
    attributes: Sequence[Attributes]
    age_days: Sequence[float]
    days_in_stage: Sequence[float]
    days_since_touch: Sequence[float | None]
    touches_14d: Sequence[int]
    touches_30d: Sequence[int]
    touches_total: Sequence[int]
    days_since_signal: Sequence[float | None]
    signals_7d: Sequence[int]
    next_step_late_days: Sequence[int | None]
    days_to_close: Sequence[int | None]
    accounts: Mapping[int, Account]
    facts: Callable[[int], DealFacts]

    def __len__(self) -> int:
        return len(self.deal_id)


def open_deals_from_facts(facts: Sequence[DealFacts], as_of: datetime) -> OpenDeals:
    """Columns from per-deal facts (all as of `as_of`): for fakes, and to check the columns."""
    today = as_of.date()

    def late(f: DealFacts) -> int | None:
        step = f.deal.next_action
        return None if step is None or step.due is None else (today - step.due).days

    def to_close(f: DealFacts) -> int | None:
        close = f.deal.expected_close
        return None if close is None else (close - today).days

    def since_signal(f: DealFacts) -> float | None:
        if f.last_signal_at is None:
            return None
        return (as_of - f.last_signal_at).total_seconds() / 86400

    accounts = {f.account.id: f.account for f in facts if f.account and f.account.id is not None}
    return OpenDeals(
        as_of=as_of,
        deal_id=[f.deal.id or 0 for f in facts],
        owner_id=[f.deal.owner_id for f in facts],
        account_id=[f.account.id if f.account else None for f in facts],
        stage=[f.stage for f in facts],
        amount=[f.amount for f in facts],
        source=[f.deal.source for f in facts],
        attributes=[f.deal.attributes for f in facts],
        age_days=[f.age_days for f in facts],
        days_in_stage=[f.days_in_stage for f in facts],
        days_since_touch=[f.days_since_touch for f in facts],
        touches_14d=[f.touches_14d for f in facts],
        touches_30d=[f.touches_30d for f in facts],
        touches_total=[f.touches_total for f in facts],
        days_since_signal=[since_signal(f) for f in facts],
        signals_7d=[f.signals_7d for f in facts],
        next_step_late_days=[late(f) for f in facts],
        days_to_close=[to_close(f) for f in facts],
        accounts=accounts,
        facts=facts.__getitem__,
    )
