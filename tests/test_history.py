"""Training snapshots use only what was known at their moment: no later activity, no final stage."""

from __future__ import annotations

from bisect import bisect_left
from datetime import datetime, timedelta

from core.history import (
    UNKNOWN_STAGE,
    compute_stage_norms,
    deal_training_snapshots,
    lead_training_snapshots,
)
from core.model import (
    Activity,
    ActivityKind,
    Deal,
    DealStatus,
    Lead,
    LeadStatus,
    Signal,
    StageChange,
)
from core.stages import LOST, WON, Pipeline
from tests.synthetic import closed_history

T0 = datetime(2024, 1, 1, 9, 0)


def test_no_snapshot_sees_later_activities_or_the_final_stage() -> None:
    history = closed_history(400, seed=3)
    by_deal: dict[int, list[datetime]] = {}
    for act in history.activities:
        by_deal.setdefault(act.deal_id or 0, []).append(act.occurred_at)
    closed = {d.id: d for d in history.deals}
    examples = deal_training_snapshots(
        history.deals, history.changes, history.activities, history.accounts, Pipeline()
    )
    assert len(examples) > len(history.deals)
    for facts, won, label_time in examples:
        deal = closed[facts.deal.id]
        times = sorted(by_deal.get(deal.id or 0, []))
        assert facts.stage not in (WON, LOST)
        assert facts.as_of < (deal.closed_at or facts.as_of)
        assert facts.last_touch_at is None or facts.last_touch_at < facts.as_of
        assert facts.touches_total == bisect_left(times, facts.as_of)
        assert label_time == deal.closed_at and won is (deal.status is DealStatus.WON)
        if not won:
            assert facts.amount is None  # lost deals carry amount 0: unknown, not a signal


def test_snapshot_per_stage_entered_with_landmarks_while_still_there() -> None:
    deal = Deal(
        name="A",
        stage=WON,
        created_at=T0,
        id=1,
        amount=5000.0,
        status=DealStatus.WON,
        closed_at=T0 + timedelta(days=60),
    )
    changes = [
        StageChange(1, "Qualification", T0 + timedelta(days=2), "Prospecting"),
        StageChange(1, "Proposal", T0 + timedelta(days=20), "Qualification"),
        StageChange(1, "Closed Won", T0 + timedelta(days=60), "Proposal"),
    ]
    touch = Activity(ActivityKind.CALL, T0 + timedelta(days=21), deal_id=1)
    examples = deal_training_snapshots([deal], changes, [touch], [], Pipeline())
    seen = [(e.facts.stage, (e.facts.as_of - T0).days, e.facts.touches_total) for e in examples]
    assert seen == [
        ("Prospecting", 0, 0),
        ("Qualification", 2, 0),
        ("Qualification", 16, 0),
        ("Proposal", 20, 0),
        ("Proposal", 34, 1),
    ]


def test_flat_import_gets_one_snapshot_at_creation_with_unknown_stage() -> None:
    deal = Deal(
        name="A",
        stage=LOST,
        created_at=T0,
        id=1,
        amount=0.0,
        status=DealStatus.LOST,
        closed_at=T0 + timedelta(days=90),
    )
    late = Activity(ActivityKind.EMAIL, T0 + timedelta(days=30), deal_id=1)
    (example,) = deal_training_snapshots([deal], [], [late], [], Pipeline())
    assert (example.facts.stage, example.facts.as_of, example.facts.touches_total) == (
        UNKNOWN_STAGE,
        T0,
        0,
    )
    assert example.facts.amount is None and example.won is False


def test_lead_snapshot_counts_only_its_first_day_before_conversion() -> None:
    lead = Lead(
        name="Sam",
        created_at=T0,
        id=5,
        status=LeadStatus.CONVERTED,
        converted_at=T0 + timedelta(hours=6),
    )
    signals = [Signal("pricing", T0 + timedelta(hours=h), lead_id=5) for h in (1, 5, 7, 30)]
    touches = [Activity(ActivityKind.CALL, T0 + timedelta(hours=h), lead_id=5) for h in (2, 8)]
    (example,) = lead_training_snapshots([lead], signals, touches, [])
    assert (example.facts.signals_total, example.facts.touches_total, example.converted) == (
        2,
        1,
        True,
    )
    assert example.label_time == T0


def test_stage_norms_from_history() -> None:
    deals, changes = [], []
    for i in range(1, 11):
        won = i <= 6
        deals.append(
            Deal(
                name=f"D{i}",
                stage=WON if won else LOST,
                created_at=T0,
                id=i,
                status=DealStatus.WON if won else DealStatus.LOST,
                closed_at=T0 + timedelta(days=30 + i),
            )
        )
        changes += [
            StageChange(i, "Proposal", T0 + timedelta(days=10), "Demo"),
            StageChange(i, WON if won else LOST, T0 + timedelta(days=30 + i), "Proposal"),
        ]
    norms = compute_stage_norms(deals, changes, Pipeline())
    proposal = norms.win_rate("Proposal")
    assert (proposal.wins, proposal.n) == (6, 10)
    assert 0.45 < proposal.rate < 0.6
    assert norms.remaining("Proposal") == 23.5  # median of 21..26 days from entry to the win
    assert norms.stage_days("Proposal") == 25.5


def test_a_deal_whose_opening_is_unknown_trains_without_its_touches():
    from datetime import UTC, datetime, timedelta

    from core.history import deal_training_snapshots
    from core.model import Activity, ActivityKind, Deal, DealStatus, StageChange
    from core.stages import Pipeline

    closed = datetime(2025, 3, 1, tzinfo=UTC)
    deal = Deal(
        "Old win", "Won", closed, id=1, status=DealStatus.WON, closed_at=closed, amount=1000
    )
    touches = [
        Activity(ActivityKind.CALL, closed - timedelta(days=d), deal_id=1) for d in (1, 2, 3)
    ]
    [example] = deal_training_snapshots(
        [deal], [StageChange(1, "Won", closed)], touches, [], Pipeline()
    )
    assert example.facts.touches_total == 0 and example.facts.last_touch_at is None
