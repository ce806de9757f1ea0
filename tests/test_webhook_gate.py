"""Webhook deliveries are stored a few at a time; past the queue they are refused at once (503)."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from bot.webhooks.gate import Busy, IntakeGate
from storage.tables import RepRow


def test_past_the_queue_a_delivery_is_refused_and_the_waiting_ones_still_run() -> None:
    release = threading.Event()
    calls: list[list[int]] = []
    running = 0
    most = 0
    lock = threading.Lock()

    def store(items: list[int]) -> list[int]:
        nonlocal running, most
        with lock:
            calls.append(items)
            running += 1
            most = max(most, running)
        release.wait(timeout=30)
        with lock:
            running -= 1
        return items

    async def scenario() -> tuple[list[int], int]:
        gate = IntakeGate(store, concurrency=2, queue=1)
        first = [asyncio.create_task(gate.run(n)) for n in range(2)]
        while running < 2:  # both turns taken
            await asyncio.sleep(0.01)
        waiting = asyncio.create_task(gate.run(2))
        while gate.waiting < 1:
            await asyncio.sleep(0.01)
        with pytest.raises(Busy):
            await gate.run(3)  # the queue holds one: refused, never run
        release.set()
        done = await asyncio.gather(*first, waiting)
        return done, gate.waiting

    done, waiting = asyncio.run(scenario())
    assert done == [0, 1, 2]
    assert waiting == 0
    assert most == 2  # never more than the concurrency at once
    assert sorted(calls) == [[0], [1], [2]]


def test_an_empty_queue_refuses_only_when_every_turn_is_taken() -> None:
    async def scenario() -> list[int]:
        gate = IntakeGate(_doubled, concurrency=1, queue=0)
        return [await gate.run(n) for n in range(3)]

    assert asyncio.run(scenario()) == [0, 2, 4]


def test_deliveries_waiting_for_the_turn_are_stored_together_up_to_a_group() -> None:
    """One turn: the first delivery is stored alone at once; the six that came meanwhile go in
    groups of at most four, in the order they came, each answered with its own result."""
    release = threading.Event()
    calls: list[list[int]] = []

    def store(items: list[int]) -> list[int | BaseException]:
        calls.append(items)
        release.wait(timeout=30)
        return [ValueError(n) if n == 5 else 10 * n for n in items]

    async def scenario() -> list[object]:
        gate = IntakeGate(store, concurrency=1, queue=10, group=4)
        tasks = [asyncio.create_task(gate.run(0))]
        while not calls:
            await asyncio.sleep(0.01)
        tasks += [asyncio.create_task(gate.run(n)) for n in range(1, 7)]
        while gate.waiting < 6:
            await asyncio.sleep(0.01)
        release.set()
        return await asyncio.gather(*tasks, return_exceptions=True)

    outcomes = asyncio.run(scenario())
    assert calls == [[0], [1, 2, 3, 4], [5, 6]]
    assert [o if isinstance(o, int) else repr(o) for o in outcomes] == [
        0, 10, 20, 30, 40, "ValueError(5)", 60
    ]  # fmt: skip


def test_a_store_that_raises_fails_its_deliveries_and_the_gate_goes_on() -> None:
    def store(items: list[int]) -> list[int]:
        if 13 in items:
            raise RuntimeError("the call failed")
        return items

    async def scenario() -> tuple[object, int]:
        gate = IntakeGate(store, concurrency=1, queue=0)
        failed = await asyncio.gather(gate.run(13), return_exceptions=True)
        return failed[0], await gate.run(14)

    failed, after = asyncio.run(scenario())
    assert isinstance(failed, RuntimeError) and after == 14


def test_a_delivery_given_up_while_it_waited_is_not_stored() -> None:
    release = threading.Event()
    calls: list[list[int]] = []

    def store(items: list[int]) -> list[int]:
        calls.append(items)
        release.wait(timeout=30)
        return items

    async def scenario() -> list[int]:
        gate = IntakeGate(store, concurrency=1, queue=5)
        first = asyncio.create_task(gate.run(0))
        while not calls:
            await asyncio.sleep(0.01)
        gone, kept = asyncio.create_task(gate.run(1)), asyncio.create_task(gate.run(2))
        while gate.waiting < 2:
            await asyncio.sleep(0.01)
        gone.cancel()  # its sender hung up
        release.set()
        return [await first, await kept]

    assert asyncio.run(scenario()) == [0, 2]
    assert calls == [[0], [2]]


def test_while_the_one_turn_is_taken_the_next_delivery_is_503_and_stores_nothing(
    tmp_path: Path,
) -> None:
    """One delivery stored at a time, none waiting. The test holds SQLite's writer itself, so
    the first delivery to get the turn waits on it; every other one must be refused at once
    with a 503 that stored nothing, and once the writer is free they are all stored once."""
    from tests.test_webhooks import LEADS, SARAH, hook_app

    url = f"sqlite:///{tmp_path / 'gate.db'}"
    with hook_app(url, webhook_concurrency=1, webhook_queue=0) as hook:

        def send(n: int) -> httpx.Response:
            body = {**SARAH, "email": f"buyer{n}@company{n}.io", "company": f"Company {n}"}
            return hook.post(LEADS, body, key=f"burst-{n}")

        before = hook.counts()
        with hook.services.engine.connect() as writer, ThreadPoolExecutor(5) as pool:
            writer.execute(update(RepRow).where(RepRow.id == -1).values(name="x"))  # the turn
            answers = [pool.submit(send, n) for n in range(5)]
            refused = [a.result(timeout=30) for a in _first_done(answers, 4)]
            assert [r.status_code for r in refused] == [503] * 4, [r.text for r in refused]
            assert all(r.headers["Retry-After"] == "1" for r in refused)
            assert hook.counts() == before  # nothing stored for the refused ones
            writer.rollback()
            stored = [a for a in answers if a.result(timeout=30).status_code == 202]
        assert len(stored) == 1
        for n in range(5):  # sent again, as a sender does after Retry-After
            assert send(n).status_code in (200, 202)
        assert hook.counts()["lead"] == before["lead"] + 5
        assert sum(k.endswith(":channel") for k in hook.outbox_keys()) == 5


def _first_done(futures: list[Future[httpx.Response]], count: int) -> list[Future[httpx.Response]]:
    done: list[Future[httpx.Response]] = []
    for future in as_completed(futures, timeout=30):
        done.append(future)
        if len(done) == count:
            return done
    return done


def _doubled(items: list[int]) -> list[int]:
    """Twice each; a negative number kills the process (a storing process that dies)."""
    if any(n < 0 for n in items):
        import os

        os._exit(3)
    return [2 * n for n in items]


def test_a_storing_process_that_dies_costs_its_delivery_a_503_and_the_next_gets_a_new_one() -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from bot.webhooks.gate import ProcessLost

    pools: list[ProcessPoolExecutor] = []

    def new_pool() -> ProcessPoolExecutor:
        pools.append(ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")))
        return pools[-1]

    async def scenario() -> tuple[int, int]:
        gate = IntakeGate(_doubled, concurrency=1, queue=4, processes=new_pool)
        try:
            before = await gate.run(20)
            with pytest.raises(ProcessLost):
                await gate.run(-1)
            return before, await gate.run(21)
        finally:
            gate.close()

    assert asyncio.run(scenario()) == (40, 42)
    assert len(pools) == 2  # the broken pool was replaced once


def test_in_a_storing_process_a_lead_is_stored_before_its_202_and_a_repeat_is_a_no_op(
    tmp_path: Path,
) -> None:
    """DEALBOT_WEBHOOK_PROCESSES=1: the lead, its assignment and its alerts are written by the
    storing process, committed before the answer, and the same delivery again changes nothing."""
    from tests.test_webhooks import LEADS, SARAH, SIGNALS, hook_app

    url = f"sqlite:///{tmp_path / 'storing.db'}"
    with hook_app(url, webhook_processes=1) as hook:
        first = hook.post(LEADS, SARAH, key="form-1")
        assert first.status_code == 202, first.text
        after_first = hook.counts()
        assert after_first["lead"] == 1 and after_first["lead_assignment"] == 1
        lead_id = first.json()["lead_id"]
        assert f"lead:{lead_id}:channel" in hook.outbox_keys()
        with hook.services.uow_factory() as uow:
            lead = uow.leads.get(lead_id)
        # Stored by the other process, on its own (real) clock, not this app's fixed test clock.
        assert lead is not None and lead.created_at != hook.services.clock.now()
        again = hook.post(LEADS, SARAH, key="form-1")
        assert (again.status_code, again.json()["lead_id"]) == (200, lead_id)
        assert hook.counts() == after_first
        view = {"kind": "page_view", "occurred_at": "2026-11-23T13:55:00Z", "email": SARAH["email"]}
        signal = hook.post(SIGNALS, view, key="view-1")
        assert signal.status_code == 202, signal.text
        assert hook.counts()["signal"] == 1


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"database_url": "sqlite://"}, "in-memory database"),
        ({"emulator": True, "mode": "demo"}, "emulator"),
    ],
)
def test_storing_processes_are_refused_where_they_could_not_share_the_app_s_state(
    overrides: dict[str, object], words: str
) -> None:
    from bot.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match=words):
        load_settings(**{"database_url": "sqlite:///x.db", **overrides, "webhook_processes": 1})


def _stuck() -> None:
    import time

    time.sleep(60)


def test_closing_ends_a_storing_process_stuck_in_a_delivery(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import multiprocessing
    import time
    from concurrent.futures import ProcessPoolExecutor

    import bot.webhooks.gate as gate_module

    monkeypatch.setattr(gate_module, "CLOSE_SECONDS", 0.5)
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    gate = IntakeGate(_doubled, concurrency=1, queue=1, processes=lambda: pool)
    stuck = pool.submit(_stuck)
    process = next(iter(pool._processes.values()))
    while not stuck.running():
        time.sleep(0.01)
    started = time.monotonic()
    gate.close()
    process.join(5)
    assert not process.is_alive()
    assert time.monotonic() - started < 5  # not the 60 s the delivery would have taken


def _slow(items: list[float]) -> list[float]:
    import time

    time.sleep(items[0])
    return items


def test_closing_answers_every_delivery_handed_to_the_storing_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One stuck in the process, one queued behind it, one not yet sent (cancelled by the
    shutdown): each is answered (ProcessLost, or its result), none left hanging."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import bot.webhooks.gate as gate_module
    from bot.webhooks.gate import ProcessLost

    monkeypatch.setattr(gate_module, "CLOSE_SECONDS", 0.5)
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    pool.submit(_slow, [0.0]).result(timeout=60)  # started

    async def scenario() -> list[object]:
        gate = IntakeGate(_slow, concurrency=3, queue=4, processes=lambda: pool)
        calls = [asyncio.create_task(gate.run(seconds)) for seconds in (30.0, 0.0, 0.0)]
        await asyncio.sleep(0.5)
        await asyncio.to_thread(gate.close)
        done = asyncio.gather(*calls, return_exceptions=True)
        return await asyncio.wait_for(done, timeout=20)

    outcomes = asyncio.run(scenario())
    assert all(isinstance(o, ProcessLost) or o == 0.0 for o in outcomes), outcomes
    assert isinstance(outcomes[0], ProcessLost)  # the stuck one: its process was ended
