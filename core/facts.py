"""What is known about a deal or a lead at one moment.

Win probability, expected days and the ranking all read these snapshots and nothing else, so the
same code serves a live ranking (facts as of now) and training (facts as of a moment in a closed
deal's past, built only from what had happened by then).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.model import Account, Deal, Lead


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
