"""The dashboard's numbers: tables of deals in, figures out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.dashboard.panels import duration, money
from core.model import Deal, DealStatus
from core.pipeline_stats import (
    ReliabilityBin,
    Velocity,
    brier_score,
    pipeline_by_stage,
    pipeline_velocity,
    reliability,
)

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
STAGES = ("Prospecting", "Proposal", "Negotiation")


def deal(
    stage: str = "Proposal",
    amount: float | None = 1000.0,
    currency: str = "USD",
    status: DealStatus = DealStatus.OPEN,
    age_days: float = 30,
    closed_days_ago: float | None = None,
) -> Deal:
    closed = NOW - timedelta(days=closed_days_ago) if closed_days_ago is not None else None
    return Deal(
        name="d",
        stage=stage,
        created_at=NOW - timedelta(days=age_days),
        amount=amount,
        currency=currency,
        status=status,
        closed_at=closed,
    )


WON, LOST = DealStatus.WON, DealStatus.LOST


@pytest.mark.parametrize(
    ("deals", "expected"),
    [
        ([], []),
        (
            [deal("Proposal", 100), deal("Prospecting", 50), deal("Proposal", 25), deal("Proposal", None)],
            [("Prospecting", "USD", 1, 50.0), ("Proposal", "USD", 3, 125.0)],
        ),
        (  # currencies are never added together; unknown stages come last
            [deal("Proposal", 100, "EUR"), deal("Proposal", 10, "USD"), deal("Legal", 5)],
            [("Proposal", "EUR", 1, 100.0), ("Proposal", "USD", 1, 10.0), ("Legal", "USD", 1, 5.0)],
        ),
        (  # closed deals are not pipeline
            [deal("Proposal", 100, status=WON, closed_days_ago=1), deal("negotiation", 7)],
            [("negotiation", "USD", 1, 7.0)],
        ),
    ],
    ids=["nothing", "counts and values", "per currency", "open only"],
)  # fmt: skip
def test_pipeline_by_stage(deals: list[Deal], expected: list[tuple[str, str, int, float]]) -> None:
    totals = pipeline_by_stage(deals, STAGES)
    assert [(t.stage, t.currency, t.count, t.value) for t in totals] == expected


@pytest.mark.parametrize(
    ("open_deals", "closed", "expected"),
    [
        (  # 10 open, 1 of 4 won at 40k after 40 days: 10 x 0.25 x 40,000 / 40 = 2,500 a day
            [deal() for _ in range(10)],
            [deal(amount=40_000, status=WON, age_days=50, closed_days_ago=10)]
            + [deal(status=LOST, age_days=20, closed_days_ago=5) for _ in range(3)],
            [("USD", 10, 1, 4, 40_000.0, 40.0, 0.25, 2500.0)],
        ),
        (  # deals closed before the window do not count; the average is of won deals only
            [deal(), deal()],
            [deal(amount=10_000, status=WON, age_days=30, closed_days_ago=10),
             deal(amount=30_000, status=WON, age_days=20, closed_days_ago=0),
             deal(amount=99_000, status=WON, age_days=900, closed_days_ago=400),
             deal(amount=5, status=LOST, age_days=9, closed_days_ago=1)],
            [("USD", 2, 2, 3, 20_000.0, 20.0, 2 / 3, 2 * (2 / 3) * 20_000 / 20)],
        ),
        (  # nothing won: the drivers say why there is no velocity
            [deal(currency="EUR")],
            [deal(currency="EUR", status=LOST, closed_days_ago=3)],
            [("EUR", 1, 0, 1, None, None, 0.0, None)],
        ),
        (  # a currency with open deals and no history
            [deal(currency="GBP")], [], [("GBP", 1, 0, 0, None, None, None, None)],
        ),
    ],
    ids=["textbook", "window and averages", "nothing won", "no history"],
)  # fmt: skip
def test_pipeline_velocity(open_deals: list[Deal], closed: list[Deal], expected: list) -> None:
    rows = pipeline_velocity(open_deals, closed, since=NOW - timedelta(days=365), until=NOW)
    assert [_velocity_row(v) for v in rows] == [pytest.approx(e) for e in expected]


def _velocity_row(v: Velocity) -> tuple:
    return (
        v.currency,
        v.open_deals,
        v.won,
        v.closed,
        v.average_won,
        v.cycle_days,
        v.win_rate,
        v.per_day,
    )


def test_reliability_bins_predictions_and_counts_what_came_true() -> None:
    pairs = [(0.05, False), (0.08, False), (0.15, True), (0.55, True), (0.55, False), (1.0, True)]
    bins = reliability(pairs, bins=4)
    assert bins == [
        ReliabilityBin(0.0, 0.25, 3, pytest.approx((0.05 + 0.08 + 0.15) / 3), pytest.approx(1 / 3)),
        ReliabilityBin(0.25, 0.5, 0, None, None),
        ReliabilityBin(0.5, 0.75, 2, pytest.approx(0.55), 0.5),
        ReliabilityBin(0.75, 1.0, 1, 1.0, 1.0),  # 1.0 lands in the last bin
    ]
    assert sum(b.count for b in reliability([(-0.2, False), (1.7, True)], bins=10)) == 2
    with pytest.raises(ValueError):
        reliability(pairs, bins=0)


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [([], None), ([(1.0, True), (0.0, False)], 0.0), ([(0.5, True), (0.5, False)], 0.25),
     ([(0.9, False)], 0.81)],
)  # fmt: skip
def test_brier_score(pairs: list[tuple[float, bool]], expected: float | None) -> None:
    assert brier_score(pairs) == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize(
    ("value", "currency", "shown"),
    [(45_200, "USD", "$45.2k"), (1_300_000, "EUR", "€1.3M"), (900, "GBP", "£900"),
     (12_000, "SEK", "SEK 12.0k"), (None, "USD", "–")],
)  # fmt: skip
def test_money(value: float | None, currency: str, shown: str) -> None:
    assert money(value, currency) == shown


@pytest.mark.parametrize(
    ("span", "shown"),
    [(None, "–"), (timedelta(seconds=40), "40 s"), (timedelta(minutes=4, seconds=50), "4 min"),
     (timedelta(hours=2, minutes=5), "2 h 05 min")],
)  # fmt: skip
def test_duration(span: timedelta | None, shown: str) -> None:
    assert duration(span) == shown
