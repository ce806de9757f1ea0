"""The manager dashboard's numbers: pipeline by stage, pipeline velocity, model calibration.

Money is never added across currencies: every total is per currency. Velocity follows the usual
definition, open opportunities x win rate x average won deal size / average sales cycle (days),
read as "pipeline value expected to close per day", with each driver kept so the page can show
which one moves it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from core.model import Deal, DealStatus


@dataclass(frozen=True, slots=True)
class StageTotal:
    stage: str
    currency: str
    count: int
    value: float
    """Sum of the known amounts (deals without an amount count, but add nothing)."""


def pipeline_by_stage(deals: Iterable[Deal], stages: Sequence[str]) -> list[StageTotal]:
    """Open deals per stage and currency, in pipeline order (unknown stages last, by name)."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    values: dict[tuple[str, str], float] = defaultdict(float)
    for deal in deals:
        if deal.status is not DealStatus.OPEN:
            continue
        key = (deal.stage, deal.currency)
        counts[key] += 1
        values[key] += deal.amount or 0.0
    order = {name.lower(): n for n, name in enumerate(stages)}

    def position(key: tuple[str, str]) -> tuple[int, str, str]:
        return (order.get(key[0].lower(), len(order)), key[0].lower(), key[1])

    return [
        StageTotal(s, c, counts[(s, c)], values[(s, c)]) for s, c in sorted(counts, key=position)
    ]


@dataclass(frozen=True, slots=True)
class Velocity:
    currency: str
    open_deals: int
    won: int
    closed: int
    average_won: float | None
    """Mean amount of the deals won in the window (those with a known amount)."""
    cycle_days: float | None
    """Mean days from creation to winning, of the deals won in the window."""

    @property
    def win_rate(self) -> float | None:
        return self.won / self.closed if self.closed else None

    @property
    def per_day(self) -> float | None:
        """Open deals x win rate x average won size / cycle days; None while a driver is unknown."""
        rate = self.win_rate
        if rate is None or self.average_won is None or not self.cycle_days:
            return None
        return self.open_deals * rate * self.average_won / self.cycle_days


def pipeline_velocity(
    open_deals: Iterable[Deal], closed_deals: Iterable[Deal], *, since: datetime, until: datetime
) -> list[Velocity]:
    """Velocity per currency from the open deals and the deals closed from `since` to `until` (both included)."""
    open_count: dict[str, int] = defaultdict(int)
    for deal in open_deals:
        if deal.status is DealStatus.OPEN:
            open_count[deal.currency] += 1
    won: dict[str, list[Deal]] = defaultdict(list)
    closed: dict[str, int] = defaultdict(int)
    for deal in closed_deals:
        if deal.outcome is None or deal.closed_at is None or not since <= deal.closed_at <= until:
            continue
        closed[deal.currency] += 1
        if deal.outcome:
            won[deal.currency].append(deal)
    return [
        _velocity(currency, open_count.get(currency, 0), won.get(currency, []), closed[currency])
        for currency in sorted(set(open_count) | set(closed))
    ]


def _velocity(currency: str, open_count: int, won: list[Deal], closed: int) -> Velocity:
    amounts = [d.amount for d in won if d.amount]
    cycles = [
        (d.closed_at - d.created_at).total_seconds() / 86_400
        for d in won
        if d.closed_at is not None and d.closed_at >= d.created_at
    ]
    return Velocity(
        currency=currency,
        open_deals=open_count,
        won=len(won),
        closed=closed,
        average_won=sum(amounts) / len(amounts) if amounts else None,
        cycle_days=sum(cycles) / len(cycles) if cycles else None,
    )


@dataclass(frozen=True, slots=True)
class ReliabilityBin:
    low: float
    high: float
    count: int
    mean_predicted: float | None
    observed: float | None
    """Share of the bin's predictions that came true; None for an empty bin."""


def reliability(pairs: Iterable[tuple[float, bool]], bins: int = 10) -> list[ReliabilityBin]:
    """Predicted probability in equal-width bins against how often it came true (the last bin
    includes 1.0). A well calibrated model has observed close to mean_predicted in every bin."""
    if bins < 1:
        raise ValueError("at least one bin")
    grouped: list[list[tuple[float, bool]]] = [[] for _ in range(bins)]
    for p, outcome in pairs:
        p = min(1.0, max(0.0, p))
        grouped[min(bins - 1, int(p * bins))].append((p, outcome))
    return [
        ReliabilityBin(
            low=n / bins,
            high=(n + 1) / bins,
            count=len(group),
            mean_predicted=sum(p for p, _ in group) / len(group) if group else None,
            observed=sum(1 for _, won in group if won) / len(group) if group else None,
        )
        for n, group in enumerate(grouped)
    ]


def brier_score(pairs: Sequence[tuple[float, bool]]) -> float | None:
    """Mean squared gap between prediction and outcome (0 is perfect); None without pairs."""
    if not pairs:
        return None
    return sum((p - (1.0 if won else 0.0)) ** 2 for p, won in pairs) / len(pairs)
