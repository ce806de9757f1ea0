"""The ranked action list: expected value, urgency, reasons, ties and snoozes."""

from __future__ import annotations

import dataclasses
import itertools
import random
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from core.bulk_ranking import build_action_lists, deal_scores
from core.facts import DealFacts, LeadFacts, open_deals_from_facts
from core.model import ActionKind, Deal, Lead, NextAction
from core.ranking import (
    DealOutlook,
    LeadOutlook,
    OutlookColumns,
    build_action_list,
    expected_value,
    rank,
)

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def ids():
    counter = itertools.count(1)
    return lambda: uuid.UUID(int=next(counter))


def facts(
    deal_id: int,
    amount: float | None = 45_000,
    *,
    last_touch_days: float | None = 1,
    next_due: date | None = None,
    signal_hours: float | None = None,
    stage: str = "Proposal",
) -> DealFacts:
    deal = Deal(
        name=f"Deal {deal_id}",
        stage=stage,
        created_at=NOW - timedelta(days=40),
        id=deal_id,
        owner_id=1,
        amount=amount,
        next_action=NextAction("Send pricing", next_due) if next_due else None,
    )
    return DealFacts(
        deal=deal,
        as_of=NOW,
        stage=stage,
        stage_entered_at=NOW - timedelta(days=5),
        amount=amount,
        last_touch_at=NOW - timedelta(days=last_touch_days)
        if last_touch_days is not None
        else None,
        last_signal_at=NOW - timedelta(hours=signal_hours) if signal_hours is not None else None,
        signals_7d=3 if signal_hours is not None else 0,
    )


@pytest.mark.parametrize(
    ("amount", "p", "days", "expected"),
    [
        (45_000, 0.72, 8, 4050.0),
        (45_000, 0.72, 0.5, 32400.0),  # fewer than one day counts as one
        (None, 0.9, 10, 0.0),
        (10_000, 0.0, 10, 0.0),
    ],
)
def test_expected_value_is_pipeline_velocity(amount, p, days, expected):
    assert expected_value(amount, p, days) == pytest.approx(expected)


def test_higher_velocity_ranks_first_and_reason_has_the_numbers():
    outlooks = {1: DealOutlook(0.72, 8), 2: DealOutlook(0.30, 40)}
    items = build_action_list(deals=[facts(2), facts(1)], deal_outlooks=outlooks, new_id=ids())
    assert [a.subject_id for a in items] == [1, 2]
    assert items[0].reason == "72% to close, $45,000, ~8 days"
    assert items[0].kind is ActionKind.FOLLOW_UP


@pytest.mark.parametrize(
    ("kwargs", "kind", "note"),
    [
        (
            {"next_due": date(2026, 11, 21)},
            ActionKind.OVERDUE_NEXT_STEP,
            "next step 2 days overdue",
        ),
        ({"last_touch_days": 30}, ActionKind.GONE_QUIET, "no touch for 30 days (norm 14)"),
        ({"signal_hours": 5}, ActionKind.FOLLOW_UP, "3 buying signals this week"),
    ],
)
def test_urgency_raises_the_score_and_says_why(kwargs, kind, note):
    outlook = {1: DealOutlook(0.5, 10), 2: DealOutlook(0.5, 10)}
    urgent, calm = build_action_list(
        deals=[facts(2), facts(1, **kwargs)], deal_outlooks=outlook, new_id=ids()
    )
    assert urgent.subject_id == 1
    assert urgent.score > calm.score
    assert urgent.kind is kind
    assert note in urgent.reason


def test_quiet_threshold_follows_the_stage_norm():
    outlook = {1: DealOutlook(0.5, 10)}
    [item] = build_action_list(
        deals=[facts(1, last_touch_days=20)],
        deal_outlooks=outlook,
        quiet_after_days={"Proposal": 30},
        new_id=ids(),
    )
    assert item.kind is ActionKind.FOLLOW_UP


def test_ties_break_deterministically_by_subject():
    outlooks = {i: DealOutlook(0.5, 10) for i in (3, 1, 2)}
    first = build_action_list(
        deals=[facts(3), facts(1), facts(2)], deal_outlooks=outlooks, new_id=ids()
    )
    second = build_action_list(
        deals=[facts(2), facts(3), facts(1)], deal_outlooks=outlooks, new_id=ids()
    )
    assert [a.subject_id for a in first] == [1, 2, 3] == [a.subject_id for a in second]


def test_hidden_subjects_and_limit():
    outlooks = {i: DealOutlook(0.1 * i, 10) for i in range(1, 6)}
    deals = [facts(i) for i in range(1, 6)]
    items = build_action_list(
        deals=deals, deal_outlooks=outlooks, hidden={("deal", 5)}, limit=2, new_id=ids()
    )
    assert [a.subject_id for a in items] == [4, 3]


def test_every_item_gets_its_own_id():
    outlooks = {i: DealOutlook(0.5, 10) for i in range(1, 4)}
    items = build_action_list(deals=[facts(i) for i in range(1, 4)], deal_outlooks=outlooks)
    assert len({a.id for a in items}) == 3


@pytest.mark.parametrize(
    ("due_minutes", "note"),
    [
        (-30, "first touch 30 min overdue"),
        (3, "first touch due in 3 min"),
        (600, "first touch due in 10 h"),
    ],
)
def test_lead_waiting_for_first_touch(due_minutes, note):
    lead = Lead(
        name="Sarah Lee",
        created_at=NOW - timedelta(minutes=10),
        id=9,
        owner_id=1,
        company="Acme",
        source="web",
        first_touch_due=NOW + timedelta(minutes=due_minutes),
    )
    [item] = build_action_list(
        deals=[],
        deal_outlooks={},
        leads=[LeadFacts(lead=lead, as_of=NOW)],
        lead_outlooks={9: LeadOutlook(0.4, 30_000, 30)},
        new_id=ids(),
    )
    assert item.kind is ActionKind.FIRST_TOUCH
    assert item.title == "First touch: Sarah Lee (Acme)"
    assert item.reason == f"new lead from web, 40% likely to convert; {note}"


def test_overdue_lead_outranks_the_same_lead_with_time_left():
    def lead(lead_id: int, minutes: int) -> LeadFacts:
        return LeadFacts(
            lead=Lead(
                name=f"L{lead_id}",
                created_at=NOW,
                id=lead_id,
                first_touch_due=NOW + timedelta(minutes=minutes),
            ),
            as_of=NOW,
        )

    outlook = LeadOutlook(0.4, 30_000, 30)
    items = build_action_list(
        deals=[],
        deal_outlooks={},
        leads=[lead(1, 300), lead(2, -5)],
        lead_outlooks={1: outlook, 2: outlook},
        new_id=ids(),
    )
    assert [a.subject_id for a in items] == [2, 1]


def test_rank_treats_nan_scores_as_zero():
    outlooks = {1: DealOutlook(0.5, 10), 2: DealOutlook(0.1, 10)}
    good, weak = build_action_list(deals=[facts(1), facts(2)], deal_outlooks=outlooks, new_id=ids())
    broken = dataclasses.replace(good, score=float("nan"))
    assert [a.subject_id for a in rank([broken, weak])] == [2, 1]


def test_a_stalled_deal_does_not_jump_the_queue_on_a_tiny_divisor():
    from core.norms import default_stage_norms, expected_days_to_close
    from core.stages import Pipeline

    stalled = facts(1, 100_000, stage="Prospecting")
    stalled = dataclasses.replace(stalled, stage_entered_at=NOW - timedelta(days=200))
    fresh = facts(2, 100_000, stage="Negotiation")
    norms, pipeline = default_stage_norms(Pipeline()), Pipeline()
    outlooks = {
        1: DealOutlook(0.10, expected_days_to_close(stalled, norms, pipeline)),
        2: DealOutlook(0.65, expected_days_to_close(fresh, norms, pipeline)),
    }
    assert outlooks[1].expected_days >= 7
    items = build_action_list(deals=[stalled, fresh], deal_outlooks=outlooks, new_id=ids())
    assert [a.subject_id for a in items] == [2, 1]


def test_a_passed_close_date_is_called_out():
    deal = facts(1)
    deal = dataclasses.replace(
        deal, deal=dataclasses.replace(deal.deal, expected_close=date(2026, 11, 19))
    )
    [item] = build_action_list(deals=[deal], deal_outlooks={1: DealOutlook(0.5, 10)}, new_id=ids())
    assert "close date passed 4 days ago" in item.reason


def test_aliases_only_lead_to_stages_the_pipeline_has():
    from core.stages import Pipeline

    custom = Pipeline(open_stages=("Discovery", "Evaluation", "Contract"))
    assert custom.canonical("Contract Sent") is None
    assert custom.canonical("closed won") == "Won"
    assert Pipeline().canonical("Contract Sent") == "Negotiation"


def _pipeline(seed: int) -> tuple[list[DealFacts], dict[int, DealOutlook], list[LeadFacts]]:
    """Deals on every urgency branch, with tied scores and unknown amounts, for four reps."""
    rng = random.Random(seed)
    deals, outlooks = [], {}
    for deal_id in rng.sample(range(1, 5000), 400):
        owner = rng.randint(1, 4)
        touched = rng.random() < 0.8
        signal = rng.random() < 0.2
        deal = Deal(
            name=f"Deal {deal_id}",
            stage=rng.choice(["Prospecting", "Demo", "Proposal", "Unknown"]),
            created_at=NOW - timedelta(days=rng.uniform(0, 90)),
            id=deal_id,
            owner_id=owner,
            amount=rng.choice([None, 0.0, 10_000.0, 45_000.0, rng.uniform(1, 1e6)]),
            expected_close=rng.choice([None, (NOW + timedelta(days=rng.randint(-20, 60))).date()]),
            next_action=rng.choice(
                [
                    None,
                    NextAction("Call", None),
                    NextAction("Call", date(2026, 11, 23) - timedelta(days=rng.randint(-5, 15))),
                ]
            ),
        )
        deals.append(
            DealFacts(
                deal=deal,
                as_of=NOW,
                stage=deal.stage,
                stage_entered_at=deal.created_at,
                amount=deal.amount,
                last_touch_at=NOW - timedelta(days=rng.uniform(0, 40)) if touched else None,
                last_signal_at=NOW - timedelta(days=rng.uniform(0, 7)) if signal else None,
                signals_7d=rng.randint(1, 4) if signal else 0,
            )
        )
        outlooks[deal_id] = DealOutlook(
            rng.choice([0.0, 0.1, 0.3, 0.5]), rng.choice([1.0, 0.5, 14.0, 30.0])
        )
    leads = [
        LeadFacts(
            Lead(
                f"Lead {i}",
                NOW,
                id=i,
                owner_id=rng.randint(1, 4),
                first_touch_due=NOW + timedelta(minutes=rng.randint(-90, 120)),
            ),
            NOW,
        )
        for i in range(1, 30)
    ]
    return deals, outlooks, leads


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_lists_from_columns_are_the_lists_built_one_rep_at_a_time(seed: int) -> None:
    deals, outlooks, leads = _pipeline(seed)
    lead_outlooks = {f.lead.id: LeadOutlook(0.2, 500_000, 10) for f in leads if f.lead.id}
    quiet = {"Prospecting": 10.0, "Demo": 21.0, "Proposal": 7.4}
    hidden = {2: {("deal", deals[0].deal.id or 0), ("lead", 3)}}
    columns = open_deals_from_facts(deals, NOW)
    order = [f.deal.id for f in deals]
    outlook_columns = OutlookColumns(
        [outlooks[i].p_win for i in order],  # type: ignore[index]
        [outlooks[i].expected_days for i in order],  # type: ignore[index]
    )
    one_by_one = [
        build_action_list(deals=[f], deal_outlooks=outlooks, quiet_after_days=quiet)[0].score
        for f in deals
    ]
    assert deal_scores(columns, outlook_columns, quiet) == one_by_one
    bulk = build_action_lists(
        rep_ids=[1, 2, 3, 4, 5],
        deals=columns,
        deal_outlooks=outlook_columns,
        leads=leads,
        lead_outlooks=lead_outlooks,
        quiet_after_days=quiet,
        hidden=hidden,
        limit=12,
        new_id=ids(),
    )
    for rep in range(1, 6):
        one = build_action_list(
            deals=[f for f in deals if f.deal.owner_id == rep],
            deal_outlooks=outlooks,
            leads=[f for f in leads if f.lead.owner_id == rep],
            lead_outlooks=lead_outlooks,
            quiet_after_days=quiet,
            hidden=hidden.get(rep, set()),
            limit=12,
            new_id=ids(),
        )
        assert [dataclasses.replace(a, id=uuid.UUID(int=0)) for a in bulk[rep]] == [
            dataclasses.replace(a, id=uuid.UUID(int=0)) for a in one
        ]
    assert bulk[5] == [] and {a.kind for items in bulk.values() for a in items} >= {
        ActionKind.OVERDUE_NEXT_STEP,
        ActionKind.GONE_QUIET,
        ActionKind.FOLLOW_UP,
        ActionKind.FIRST_TOUCH,
    }
