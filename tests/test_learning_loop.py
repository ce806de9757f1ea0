"""The learning loop: outcomes from stage history, per-kind multipliers, and the ranking they move."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.forecast import load_forecaster
from core.action_effects import NO_EFFECTS, ActionEffects, estimate_action_effects
from core.action_outcomes import ActionOutcome, ActionRecord, action_outcomes
from core.bulk_ranking import build_action_lists, deal_scores
from core.facts import open_deals_from_facts
from core.model import (
    Action,
    ActionKind,
    ActionStatus,
    Activity,
    ActivityKind,
    Deal,
    Rep,
    StageChange,
)
from core.ranking import DealOutlook, OutlookColumns, build_action_list
from core.stages import Pipeline
from handlers.action_list import ranked_actions, ranked_actions_for_all
from handlers.digest_lists import ranked_lists
from handlers.learning_loop import learn_action_effects, load_action_effects
from storage.db import create_engine_for, create_schema
from storage.uow import UnitOfWorkFactory

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
PIPELINE = Pipeline()


def _record(kind: ActionKind, deal_id: int, shown: datetime, done_at: datetime | None):
    return ActionRecord(
        id=uuid.uuid4(),
        rep_id=1,
        kind=kind,
        subject_type="deal",
        subject_id=deal_id,
        shown_at=shown,
        status=ActionStatus.DONE if done_at else ActionStatus.SHOWN,
        status_at=done_at,
    )


def _change(deal_id: int, at: datetime, to: str, frm: str | None = "Demo") -> StageChange:
    return StageChange(deal_id=deal_id, to_stage=to, changed_at=at, from_stage=frm)


T0 = NOW - timedelta(days=60)


@pytest.mark.parametrize(
    ("done_at", "changes", "expected"),
    [
        (T0, [_change(1, T0 + timedelta(days=3), "Proposal")], (True, False, False)),
        (T0, [_change(1, T0 + timedelta(days=15), "Proposal")], (False, False, False)),
        (T0, [_change(1, T0 + timedelta(days=2), "Won", "Negotiation")], (True, True, False)),
        (T0, [_change(1, T0 + timedelta(days=2), "Lost")], (False, False, True)),
        (T0, [_change(1, T0 + timedelta(days=2), "Qualification")], (False, False, False)),
        (T0, [_change(1, T0 - timedelta(hours=1), "Proposal")], (False, False, False)),
        # "Advance stage" on the list: done and moved by the same press, at the same instant.
        (T0, [_change(1, T0, "Proposal")], (False, False, False)),
        (T0, [_change(1, T0, "Won", "Negotiation")], (False, False, False)),
        (T0, [_change(1, T0 + timedelta(days=1), "Demo", None)], (False, False, False)),
        # Not done: the window runs from the showing, two days before.
        (None, [_change(1, T0 + timedelta(days=11), "Proposal")], (True, False, False)),
        (None, [_change(1, T0 + timedelta(days=13), "Proposal")], (False, False, False)),
    ],
)
def test_outcomes_come_from_the_stage_history(done_at, changes, expected):
    record = _record(ActionKind.FOLLOW_UP, 1, T0 - timedelta(days=2), done_at)
    (outcome,) = action_outcomes([record], changes, pipeline=PIPELINE, as_of=NOW)
    assert (outcome.advanced, outcome.won, outcome.lost) == expected
    assert outcome.window_closed


def test_lead_actions_and_open_windows():
    lead = ActionRecord(uuid.uuid4(), 1, ActionKind.FIRST_TOUCH, "lead", 7, T0, ActionStatus.DONE)
    recent = _record(ActionKind.FOLLOW_UP, 1, NOW - timedelta(days=3), NOW - timedelta(days=2))
    outcomes = action_outcomes(
        [lead, recent], [_change(1, NOW, "Proposal")], pipeline=PIPELINE, as_of=NOW
    )
    assert [o.action for o in outcomes] == [recent]
    assert outcomes[0].advanced and not outcomes[0].window_closed
    assert estimate_action_effects(outcomes) is NO_EFFECTS


def _synthetic_outcomes(rates: dict[ActionKind, float], seed: int = 1) -> list[ActionOutcome]:
    """Done actions of each kind move their deal at the given rate; undone ones at 15%."""
    rng, out = random.Random(seed), []
    for kind, rate in rates.items():
        for done in (True, False):
            for _ in range(200):
                record = _record(kind, 1, T0, T0 if done else None)
                moved = rng.random() < (rate if done else 0.15)
                out.append(ActionOutcome(record, moved, False, False, True))
    return out


def test_a_kind_that_pays_off_gets_a_higher_multiplier():
    effects = estimate_action_effects(
        _synthetic_outcomes({ActionKind.FOLLOW_UP: 0.6, ActionKind.GONE_QUIET: 0.1})
    )
    paying, idle = effects.by_kind[ActionKind.FOLLOW_UP], effects.by_kind[ActionKind.GONE_QUIET]
    assert paying.multiplier > 1.3 and idle.multiplier < 0.8
    assert idle.multiplier >= 0.5 and paying.multiplier <= 2.0
    assert paying.done_rate == pytest.approx(0.6, abs=0.08)
    assert "follow-ups like this moved" in (paying.note or "")
    assert effects.multiplier(ActionKind.FIRST_TOUCH) == 1.0
    assert ActionEffects.from_dict(effects.to_dict()) == effects


def test_little_history_stays_near_one():
    few = _synthetic_outcomes({ActionKind.FOLLOW_UP: 0.6, ActionKind.GONE_QUIET: 0.1})
    rng = random.Random(3)
    sample = rng.sample(few, 12)
    effects = estimate_action_effects(sample)
    assert all(0.75 < e.multiplier < 1.33 for e in effects.by_kind.values())
    assert all(e.note is None for e in effects.by_kind.values())


def _counted(kind: ActionKind, done: int, done_moved: int, shown: int, shown_moved: int):
    """Outcomes with exact counts: `done` done actions of which `done_moved` moved, and so on."""
    out = []
    for is_done, total, moved in ((True, done, done_moved), (False, shown, shown_moved)):
        for n in range(total):
            record = _record(kind, 1, T0, T0 if is_done else None)
            out.append(ActionOutcome(record, n < moved, False, False, True))
    return out


def test_kinds_with_the_same_lift_on_unequal_baselines_count_alike():
    outcomes = [
        *_counted(ActionKind.FOLLOW_UP, 300, 90, 50, 10),  # 30% against a 20% baseline
        *_counted(ActionKind.GONE_QUIET, 50, 30, 300, 120),  # 60% against 40%
        *_counted(ActionKind.OVERDUE_NEXT_STEP, 0, 0, 100, 5),  # never done, low baseline
    ]
    effects = estimate_action_effects(outcomes)
    assert 0.85 < effects.multiplier(ActionKind.FOLLOW_UP) < 1.2
    assert 0.85 < effects.multiplier(ActionKind.GONE_QUIET) < 1.2
    assert effects.multiplier(ActionKind.OVERDUE_NEXT_STEP) == 1.0


def test_a_few_done_actions_on_a_low_baseline_stay_near_one():
    outcomes = [
        *_counted(ActionKind.FOLLOW_UP, 200, 60, 200, 40),
        *_counted(ActionKind.GONE_QUIET, 5, 1, 100, 5),
    ]
    effects = estimate_action_effects(outcomes)
    assert 0.8 < effects.multiplier(ActionKind.GONE_QUIET) < 1.25
    assert 0.9 < effects.multiplier(ActionKind.FOLLOW_UP) < 1.1


# --- end to end on the databases -----------------------------------------------------------


@pytest.fixture
def uow_factory(database_url: str) -> Iterator[UnitOfWorkFactory]:
    engine = create_engine_for(database_url)
    create_schema(engine)
    factory = UnitOfWorkFactory(engine)
    with factory() as uow:
        alice = uow.reps.add(Rep(email="alice@example.com", name="Alice"))
        uow.reps.add(Rep(email="bob@example.com", name="Bob"))
        for name, amount, touched in (("Touched", 40_000, True), ("Quiet", 35_000, False)):
            deal = uow.deals.add(
                Deal(
                    name=name,
                    stage="Proposal",
                    created_at=NOW - timedelta(days=60),
                    stage_entered_at=NOW - timedelta(days=5),
                    owner_id=alice.id,
                    amount=amount,
                )
            )
            if touched:
                uow.activities.add(
                    Activity(ActivityKind.CALL, NOW - timedelta(days=1), deal_id=deal.id)
                )
        uow.commit()
    yield factory
    engine.dispose()


def _write_history(factory: UnitOfWorkFactory, rates: dict[ActionKind, float]) -> None:
    """Bob's past actions: done ones of each kind advance their deal at `rates`, others at 15%
    (exactly: the first that share of each 40 advance)."""
    with factory() as uow:
        bob = uow.reps.by_email("bob@example.com")
        assert bob is not None and bob.id is not None
        n = 0
        for kind, rate in rates.items():
            for done in (True, False):
                for i in range(40):
                    n += 1
                    shown = NOW - timedelta(days=90) + timedelta(hours=n)
                    deal = uow.deals.add(
                        Deal(name=f"Past {n}", stage="Demo", created_at=shown, owner_id=bob.id)
                    )
                    action = Action(
                        uuid.uuid4(), bob.id, kind, "deal", deal.id or 0, "t", 1.0, "r", shown
                    )
                    uow.actions.record_shown([action])
                    if done:
                        uow.actions.set_status(
                            action.id, ActionStatus.DONE, at=shown + timedelta(hours=1)
                        )
                    if i < round(40 * (rate if done else 0.15)):
                        uow.deals.add_stage_change(
                            _change(deal.id or 0, shown + timedelta(days=4), "Proposal")
                        )
        uow.commit()


class _Clock:
    def now(self) -> datetime:
        return NOW


def _alice(factory: UnitOfWorkFactory) -> list[Action]:
    return ranked_actions(
        factory, load_forecaster(factory), rep_email="alice@example.com", at=NOW, record=False
    ).items


def test_history_moves_the_paying_kind_up_on_every_path(uow_factory):
    before = _alice(uow_factory)
    assert [a.title for a in before] == ["Follow up: Quiet", "Follow up: Touched"]
    assert [a.kind for a in before] == [ActionKind.GONE_QUIET, ActionKind.FOLLOW_UP]
    _write_history(uow_factory, {ActionKind.FOLLOW_UP: 0.6, ActionKind.GONE_QUIET: 0.1})
    _, effects = learn_action_effects(uow_factory, _Clock(), pipeline=PIPELINE)
    assert (
        effects.multiplier(ActionKind.FOLLOW_UP)
        > 1.2
        > 0.8
        > effects.multiplier(ActionKind.GONE_QUIET)
    )
    after = _alice(uow_factory)
    assert [a.title for a in after] == ["Follow up: Touched", "Follow up: Quiet"]
    assert "follow-ups like this moved" in after[0].reason
    assert after[0].score > before[1].score and after[1].score < before[0].score
    forecaster = load_forecaster(uow_factory)
    with uow_factory() as uow:
        alice = uow.reps.by_email("alice@example.com")
        assert alice is not None and alice.id is not None
        digest = ranked_lists(uow, forecaster, [alice], at=NOW, limit=5)[alice.id].actions
    bulk = ranked_actions_for_all(uow_factory, forecaster, at=NOW, record=False)[alice.id]
    for other in (digest, bulk):
        assert [(a.title, a.reason) for a in other] == [(a.title, a.reason) for a in after]


def test_no_history_leaves_the_ranking_unchanged(uow_factory):
    before = _alice(uow_factory)
    _, effects = learn_action_effects(uow_factory, _Clock(), pipeline=PIPELINE)
    assert effects == NO_EFFECTS
    with uow_factory() as uow:
        assert load_action_effects(uow) == NO_EFFECTS
    after = _alice(uow_factory)
    assert [(a.subject_id, a.score, a.reason) for a in after] == [
        (a.subject_id, a.score, a.reason) for a in before
    ]


def test_the_column_scores_match_the_per_deal_scores_with_effects(uow_factory):
    effects = estimate_action_effects(
        _synthetic_outcomes({ActionKind.FOLLOW_UP: 0.6, ActionKind.GONE_QUIET: 0.1})
    )
    with uow_factory() as uow:
        facts = uow.deals.open_facts(owner_ids=None, at=NOW)
    outlooks = {f.deal.id: DealOutlook(0.3, 20.0) for f in facts}
    one = build_action_list(deals=facts, deal_outlooks=outlooks, effects=effects)
    columns = open_deals_from_facts(facts, NOW)
    lists = build_action_lists(
        rep_ids=[facts[0].deal.owner_id],
        deals=columns,
        deal_outlooks=OutlookColumns([0.3] * len(facts), [20.0] * len(facts)),
        effects=effects,
    )
    assert [(a.subject_id, a.score) for a in lists[facts[0].deal.owner_id]] == [
        (a.subject_id, a.score) for a in one
    ]
    assert one[0].title == "Follow up: Touched"
    per_deal = {a.subject_id: a.score for a in one}
    column_scores = deal_scores(columns, OutlookColumns([0.3] * 2, [20.0] * 2), None, effects)
    assert column_scores == [per_deal[deal_id] for deal_id in columns.deal_id]
