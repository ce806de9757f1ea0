"""The morning digest on both databases: once per rep per local date, whoever ticks and how often."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Self

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.forecast import load_forecaster
from bot.slack.render import MESSAGE_BLOCKS, render_message
from core.messages import message_from_dict
from core.model import Account, Deal, NextAction, Rep
from core.stages import Pipeline
from handlers.digest import DigestRun, digest_key, enqueue_due_digests
from storage.db import create_engine_for
from storage.tables import ActionRow, OutboxRow
from storage.uow import SqlUnitOfWork, UnitOfWorkFactory

MONDAY = date(2026, 11, 23)
KOLKATA_8AM = datetime(2026, 11, 23, 2, 30, tzinfo=UTC)
BERLIN_8AM = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
NEW_YORK_8AM = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
PIPELINE = Pipeline()


def seed(factory: UnitOfWorkFactory) -> dict[str, int]:
    """Three reps due on Monday at different UTC instants, three who are not due at all."""
    at = NEW_YORK_8AM - timedelta(days=30)
    with factory() as uow:
        ids = {
            "ana": _rep(uow, "ana", "America/New_York", slack_user_id="U0ANA"),
            "ben": _rep(uow, "ben", "Europe/Berlin"),
            "cai": _rep(uow, "cai", "Asia/Kolkata", work_end=time(22, 0)),  # 18:30 at NY's 08:00
            "holiday": _rep(uow, "holiday", "America/New_York", holidays=(MONDAY,)),
            "away": _rep(uow, "away", "Europe/Berlin", out_of_office_until=at + timedelta(days=40)),
            "weekend": _rep(uow, "weekend", "UTC", working_days=(5, 6)),
        }
        acme = uow.accounts.add(Account(name="Acme", domain="acme.com"))
        for owner in ("ana", "ben", "holiday", "away", "weekend"):
            for n, (amount, stage) in enumerate([(45_000, "Proposal"), (8_000, "Demo")]):
                overdue = NextAction("Send pricing", MONDAY - timedelta(days=3))
                uow.deals.add(
                    Deal(
                        name=f"{owner} deal {n}",
                        stage=stage,
                        created_at=at,
                        stage_entered_at=at + timedelta(days=20),
                        owner_id=ids[owner],
                        account_id=acme.id,
                        amount=amount,
                        next_action=overdue if owner == "ana" and n == 0 else None,
                    )
                )
        uow.commit()
    return ids


def _rep(uow: Any, name: str, zone: str, **fields: Any) -> int:
    rep = uow.reps.add(
        Rep(email=f"{name}@example.com", name=name.title(), time_zone=zone, **fields)
    )
    assert rep.id is not None
    return int(rep.id)


@pytest.fixture
def factory(engine: Engine) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(engine)


@pytest.fixture
def reps(factory: UnitOfWorkFactory) -> dict[str, int]:
    return seed(factory)


def tick(factory: Callable[[], Any], at: datetime, **options: Any) -> DigestRun:
    forecaster = load_forecaster(factory, PIPELINE)
    return enqueue_due_digests(factory, forecaster, PIPELINE, at=at, **options)


def outbox(engine: Engine) -> list[OutboxRow]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxRow).order_by(OutboxRow.key)))


def shown_actions(engine: Engine) -> list[ActionRow]:
    with Session(engine) as session:
        return list(session.exec(select(ActionRow)))


def keys(*pairs: tuple[int, date]) -> list[str]:
    return sorted(digest_key(rep_id, day) for rep_id, day in pairs)


def test_each_rep_comes_due_at_eight_in_their_own_zone(engine, factory, reps):
    assert tick(factory, KOLKATA_8AM - timedelta(minutes=1)).enqueued == 0
    assert tick(factory, KOLKATA_8AM).enqueued == 1
    assert tick(factory, BERLIN_8AM - timedelta(minutes=1)).enqueued == 0
    assert tick(factory, BERLIN_8AM).enqueued == 1
    assert tick(factory, NEW_YORK_8AM - timedelta(minutes=1)).enqueued == 0
    last = tick(factory, NEW_YORK_8AM)
    assert (last.enqueued, last.already_sent, last.due) == (1, 2, 3)
    assert [row.key for row in outbox(engine)] == keys(
        (reps["ana"], MONDAY), (reps["ben"], MONDAY), (reps["cai"], MONDAY)
    )


def test_ticking_again_the_next_minute_sends_nothing_new(engine, factory, reps):
    first = tick(factory, NEW_YORK_8AM)
    second = tick(factory, NEW_YORK_8AM + timedelta(minutes=1))
    assert (first.due, first.enqueued, first.already_sent) == (3, 3, 0)
    assert (second.due, second.enqueued, second.already_sent) == (3, 0, 3)
    assert len(outbox(engine)) == 3


def test_holiday_out_of_office_and_weekend_reps_get_nothing(engine, factory, reps):
    run = tick(factory, NEW_YORK_8AM)
    assert run.active_reps == 6 and run.not_due == 3
    targets = {row.payload["rep_id"] for row in outbox(engine)}
    assert targets == {reps["ana"], reps["ben"], reps["cai"]}


def test_the_next_working_day_gets_its_own_digest(engine, factory, reps):
    tick(factory, NEW_YORK_8AM)
    tuesday = tick(factory, NEW_YORK_8AM + timedelta(days=1))
    assert tuesday.enqueued == 4  # the rep on holiday on Monday is back
    assert digest_key(reps["holiday"], MONDAY + timedelta(days=1)) in {
        row.key for row in outbox(engine)
    }


def test_the_payload_names_the_target_and_carries_the_rendered_message(engine, factory, reps):
    tick(factory, NEW_YORK_8AM)
    rows = {row.payload["rep_id"]: row for row in outbox(engine)}
    ana, ben = rows[reps["ana"]], rows[reps["ben"]]
    assert (ana.platform, ana.target, ana.status) == ("slack", "U0ANA", "pending")
    assert ben.target == "email:ben@example.com"
    assert ana.payload["kind"] == "digest"
    for row in rows.values():
        fallback, blocks = render_message(message_from_dict(row.payload["message"]))
        assert fallback.startswith("Good morning")
        assert 0 < len(blocks) <= MESSAGE_BLOCKS


def test_urgent_calm_and_empty_mornings_read_differently(engine, factory, reps):
    tick(factory, NEW_YORK_8AM)
    texts = {
        row.payload["rep_id"]: " ".join(
            s.get("text") or "" for s in row.payload["message"]["sections"]
        )
        for row in outbox(engine)
    }
    assert "Overdue and time-boxed items first" in texts[reps["ana"]]
    assert "Nothing is urgent today" in texts[reps["ben"]]
    assert "Nothing needs you this morning" in texts[reps["cai"]]


def test_the_items_shown_are_recorded_once_and_their_buttons_point_at_them(engine, factory, reps):
    tick(factory, NEW_YORK_8AM)
    tick(factory, NEW_YORK_8AM + timedelta(minutes=1))
    recorded = shown_actions(engine)
    assert len(recorded) == 4  # two deals each for Ana and Ben; Cai has none
    ana = next(row for row in outbox(engine) if row.payload["rep_id"] == reps["ana"])
    in_message = {
        control["value"].split("|")[0]
        for section in ana.payload["message"]["sections"]
        for control in section.get("controls", [])
        if "value" in control
    }
    assert in_message and in_message <= {row.id for row in recorded}


def test_a_long_digest_still_fits_in_one_slack_message(engine, factory, reps):
    with factory() as uow:
        for n in range(30):
            uow.deals.add(
                Deal(
                    name=f"Extra {n}",
                    stage="Qualification",
                    created_at=NEW_YORK_8AM - timedelta(days=10),
                    owner_id=reps["ana"],
                    amount=1_000 + n,
                )
            )
        uow.commit()
    tick(factory, NEW_YORK_8AM, size=20)
    ana = next(row for row in outbox(engine) if row.payload["rep_id"] == reps["ana"])
    message = message_from_dict(ana.payload["message"])
    assert len([s for s in message.sections if s.controls]) == 20
    _, blocks = render_message(message)
    assert len(blocks) <= MESSAGE_BLOCKS


class _OutboxWithRaceBeforeWrite:
    """The outbox of a replica that looks, then lets `other_replica` write everything first."""

    def __init__(self, inner: Any, other_replica: Callable[[], None]) -> None:
        self.inner, self.other_replica = inner, other_replica

    def existing(self, keys: Iterable[str]) -> set[str]:
        found: set[str] = self.inner.existing(keys)
        self.other_replica()
        return found

    def enqueue(self, **fields: Any) -> bool:
        return bool(self.inner.enqueue(**fields))


class _SlowReplicaUnitOfWork(SqlUnitOfWork):
    def __init__(self, engine: Engine, other_replica: Callable[[], None]) -> None:
        super().__init__(engine)
        self.other_replica = other_replica

    def __enter__(self) -> Self:
        super().__enter__()
        self.outbox = _OutboxWithRaceBeforeWrite(self.outbox, self.other_replica)  # type: ignore[assignment]
        return self


def test_a_replica_that_loses_the_race_writes_nothing(engine, factory, reps, database_url):
    second_engine = create_engine_for(database_url)
    races: list[DigestRun] = []

    def other_replica() -> None:
        if not races:
            races.append(tick(UnitOfWorkFactory(second_engine), NEW_YORK_8AM))

    try:
        slow = tick(lambda: _SlowReplicaUnitOfWork(engine, other_replica), NEW_YORK_8AM)
    finally:
        second_engine.dispose()
    assert races[0].enqueued == 3
    assert (slow.enqueued, slow.already_sent) == (0, 3)
    assert len(outbox(engine)) == 3
    assert len(shown_actions(engine)) == 4


def test_two_replicas_ticking_together_write_one_digest_per_rep(engine, reps, database_url):
    engines = [create_engine_for(database_url) for _ in range(2)]
    start = threading.Barrier(2)
    runs: list[DigestRun] = []

    def replica(own: Engine) -> None:
        factory = UnitOfWorkFactory(own)
        forecaster = load_forecaster(factory, PIPELINE)
        start.wait()
        runs.append(enqueue_due_digests(factory, forecaster, PIPELINE, at=NEW_YORK_8AM))

    threads = [threading.Thread(target=replica, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for own in engines:
        own.dispose()
    assert len(runs) == 2, "a replica failed"
    assert sorted(run.enqueued for run in runs) == [0, 3]  # a pass writes all its digests or none
    assert sum(run.enqueued for run in runs) == 3
    assert len(outbox(engine)) == 3
    assert len(shown_actions(engine)) == 4
