"""The outbox on SQLite and PostgreSQL: once-only keys, claims under a lease, retries, dead letters."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from core.model import Rep
from storage.db import create_engine_for
from storage.delivery import DEAD, LEASE_LOST, PENDING, SENDING, SENT, OutboxQueue
from storage.uow import SqlUnitOfWork
from tests.fakes import FakeDatabase, FakeUnitOfWork

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def enqueue(engine: Engine, *keys: str, platform: str = "slack", at: datetime = NOW) -> None:
    with SqlUnitOfWork(engine) as uow:
        for key in keys:
            uow.outbox.enqueue(
                key=key, platform=platform, target="U1", payload={"message": {}}, at=at
            )
        uow.commit()


def claim(queue: OutboxQueue, at: datetime = NOW, limit: int = 10, worker: str = "w1"):  # type: ignore[no-untyped-def]
    return queue.claim(worker=worker, at=at, limit=limit, lease=LEASE)


def test_a_repeated_key_writes_nothing_and_the_transaction_still_commits(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        first = uow.outbox.enqueue(
            key="digest:1:2026-11-23", platform="slack", target="U1", payload={"n": 1}, at=NOW
        )
        again = uow.outbox.enqueue(
            key="digest:1:2026-11-23", platform="slack", target="U9", payload={"n": 2}, at=NOW
        )
        uow.reps.add(Rep(email="ana@example.com", name="Ana"))
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        repeat = uow.outbox.enqueue(
            key="digest:1:2026-11-23", platform="slack", target="U1", payload={}, at=NOW
        )
        uow.reps.add(Rep(email="ben@example.com", name="Ben"))
        uow.commit()
    assert (first, again, repeat) == (True, False, False)
    with SqlUnitOfWork(engine) as uow:
        assert uow.reps.by_email("ana@example.com") and uow.reps.by_email("ben@example.com")
    (row,) = OutboxQueue(engine).by_status()
    assert row.payload == {"n": 1} and row.target == "U1" and row.status == PENDING


def test_keys_are_found_by_value_list_and_literal_prefix(engine: Engine) -> None:
    enqueue(engine, "digest:1:2026-11-23", "digest:12:2026-11-23", "alert:7:hot", "a_b%:1")
    with SqlUnitOfWork(engine) as uow:
        assert uow.outbox.exists("alert:7:hot") and not uow.outbox.exists("alert:8:hot")
        assert uow.outbox.existing(["alert:7:hot", "nope", "digest:1:2026-11-23"]) == {
            "alert:7:hot",
            "digest:1:2026-11-23",
        }
        assert uow.outbox.keys_with_prefix("digest:1") == {
            "digest:1:2026-11-23",
            "digest:12:2026-11-23",
        }
        assert uow.outbox.keys_with_prefix("a_b%") == {"a_b%:1"}
        assert uow.outbox.keys_with_prefix("a%") == set()


def test_idempotency_keys_are_claimed_once_even_after_a_rollback_of_others(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        assert uow.idempotency.claim("slack:event:Ev1", at=NOW)
        assert not uow.idempotency.claim("slack:event:Ev1", at=NOW)
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert not uow.idempotency.claim("slack:event:Ev1", at=NOW)
        assert uow.idempotency.claim("slack:event:Ev2", at=NOW)
    with SqlUnitOfWork(engine) as uow:  # Ev2 was rolled back with its transaction
        assert uow.idempotency.claim("slack:event:Ev2", at=NOW)


def test_the_fake_unit_of_work_keeps_the_same_outbox_rules() -> None:
    database = FakeDatabase()
    with FakeUnitOfWork(database) as uow:
        assert uow.outbox.enqueue(key="k", platform="slack", target="U1", payload={}, at=NOW)
        assert not uow.outbox.enqueue(key="k", platform="slack", target="U1", payload={}, at=NOW)
        assert uow.idempotency.claim("e", at=NOW) and not uow.idempotency.claim("e", at=NOW)
        uow.commit()
    with FakeUnitOfWork(database) as uow:
        assert uow.outbox.existing(["k", "x"]) == {"k"}
        assert uow.outbox.keys_with_prefix("k") == {"k"}


def test_a_claim_holds_rows_until_its_lease_ends(engine: Engine) -> None:
    enqueue(engine, "a", "b", "c")
    queue = OutboxQueue(engine)
    first = claim(queue, limit=2)
    second = claim(queue, limit=2, worker="w2")
    assert [i.key for i in first.items] == ["a", "b"] and [i.key for i in second.items] == ["c"]
    assert all(i.status == SENDING and i.next_attempt_at == NOW + LEASE for i in first.items)
    assert claim(queue, at=NOW + LEASE - timedelta(seconds=1)).items == []

    after_lease = claim(queue, at=NOW + LEASE, worker="w3")
    assert sorted(i.key for i in after_lease.items) == ["a", "b", "c"]
    assert all(i.attempts == 1 and i.last_error == LEASE_LOST for i in after_lease.items)
    stale = first.items[0].id
    assert not queue.mark_sent(stale, token=first.token, at=NOW)
    assert queue.mark_sent(stale, token=after_lease.token, at=NOW + LEASE)
    assert queue.counts() == {PENDING: 0, SENDING: 2, SENT: 1, DEAD: 0}


def test_a_retry_waits_for_its_time_and_counts_the_attempt(engine: Engine) -> None:
    enqueue(engine, "a", "b")
    queue = OutboxQueue(engine)
    held = claim(queue)
    a, b = held.items
    later = NOW + timedelta(seconds=30)
    assert queue.retry_later(a.id, token=held.token, due=later, error="HTTP 500")
    assert queue.retry_later(b.id, token=held.token, due=later, error="429", count_attempt=False)
    assert claim(queue, at=later - timedelta(seconds=1)).items == []
    again = claim(queue, at=later)
    assert [(i.key, i.attempts, i.last_error) for i in again.items] == [
        ("a", 1, "HTTP 500"),
        ("b", 0, "429"),
    ]


def test_dead_rows_stay_dead_until_revived(engine: Engine) -> None:
    enqueue(engine, "a", "b", "c")
    queue = OutboxQueue(engine)
    held = claim(queue)
    for item in held.items:
        assert queue.mark_dead(item.id, token=held.token, error="channel_not_found")
    assert claim(queue, at=NOW + timedelta(days=1)).items == []
    assert [i.key for i in queue.by_status(DEAD)] == ["c", "b", "a"]

    a_id = held.items[0].id
    assert queue.revive([a_id, 999], at=NOW) == [a_id]
    assert [i.key for i in claim(queue).items] == ["a"]
    assert len(queue.revive(None, at=NOW)) == 2
    revived = claim(queue).items
    assert [(i.key, i.attempts, i.status) for i in revived] == [
        ("b", 0, SENDING),
        ("c", 0, SENDING),
    ]


def test_a_claim_takes_only_its_platforms_and_a_release_hands_back(engine: Engine) -> None:
    enqueue(engine, "s1")
    enqueue(engine, "t1", platform="teams")
    queue = OutboxQueue(engine)
    held = queue.claim(worker="w", at=NOW, limit=10, lease=LEASE, platforms=["teams"])
    assert [i.key for i in held.items] == ["t1"]
    assert queue.release(held.items[0].id, token=held.token, at=NOW)
    assert sorted(i.key for i in claim(queue).items) == ["s1", "t1"]
    assert all(i.attempts == 0 for i in queue.by_status(SENDING))


def test_concurrent_claimers_never_share_a_row(engine: Engine) -> None:
    enqueue(engine, *(f"k{n:03d}" for n in range(120)))
    queue = OutboxQueue(engine)
    taken: dict[str, list[int]] = {"w1": [], "w2": [], "w3": []}

    def drain(worker: str) -> None:
        while items := queue.claim(worker=worker, at=NOW, limit=7, lease=LEASE).items:
            taken[worker].extend(i.id for i in items)

    threads = [threading.Thread(target=drain, args=(w,)) for w in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [i for ids in taken.values() for i in ids]
    assert len(everything) == len(set(everything)) == 120


def test_postgres_claims_skip_rows_another_transaction_has_locked(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite has a single writer")
    enqueue(engine, "a", "b", "c", "d")
    queue = OutboxQueue(engine)
    with engine.connect() as other:
        with other.begin():
            locked = other.execute(
                text("select id from outbox where key in ('a', 'b') for update")
            ).scalars()
            locked_ids = set(locked)
            got = claim(queue).items  # would block here without SKIP LOCKED
            assert [i.key for i in got] == ["c", "d"]
            assert not locked_ids & {i.id for i in got}


def test_a_retry_from_the_command_line_is_audited_like_the_dashboards(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main
    from storage.migrate import upgrade

    upgrade(database_url)
    engine = create_engine_for(database_url)
    enqueue(engine, "a", "b", "c")
    queue = OutboxQueue(engine)
    held = claim(queue)
    a, b, c = held.items
    for item in (a, c):
        queue.mark_dead(item.id, token=held.token, error="channel_not_found")
    monkeypatch.setenv("LOGNAME", "dana")  # the login name the audit log names
    cli = ["--database-url", database_url, "outbox", "retry"]
    assert main([*cli, str(a.id), str(b.id)]) == 0
    out = capsys.readouterr().out
    assert f"again: {a.id}" in out and f"Not dead, left alone: {b.id}" in out
    assert main([*cli, "--all-dead"]) == 0
    assert f"again: {c.id}" in capsys.readouterr().out
    with SqlUnitOfWork(engine) as uow:
        entries = {item.id: uow.audit.latest(f"outbox:{item.id}") for item in (a, b, c)}
    engine.dispose()
    assert entries[b.id] is None  # not dead: nothing changed, nothing audited
    for item in (a, c):
        entry = entries[item.id]
        assert entry is not None
        assert (entry.actor, entry.action) == ("cli:dana", "outbox.retry")
        assert (entry.before, entry.after) == ({"status": "dead"}, {"status": "pending"})
