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
    running: list[int] = []
    most = 0
    lock = threading.Lock()

    def store(n: int) -> int:
        nonlocal most
        with lock:
            running.append(n)
            most = max(most, len(running))
        release.wait(timeout=30)
        with lock:
            running.remove(n)
        return n

    async def scenario() -> tuple[list[int], int]:
        gate = IntakeGate(concurrency=2, queue=1)
        first = [asyncio.create_task(gate.run(store, n)) for n in range(2)]
        while len(running) < 2:  # both turns taken
            await asyncio.sleep(0.01)
        waiting = asyncio.create_task(gate.run(store, 2))
        while gate.waiting < 1:
            await asyncio.sleep(0.01)
        with pytest.raises(Busy):
            await gate.run(store, 3)  # the queue holds one: refused, never run
        release.set()
        done = await asyncio.gather(*first, waiting)
        return done, gate.waiting

    done, waiting = asyncio.run(scenario())
    assert done == [0, 1, 2]
    assert waiting == 0
    assert most == 2  # never more than the concurrency at once


def test_an_empty_queue_refuses_only_when_every_turn_is_taken() -> None:
    async def scenario() -> list[int]:
        gate = IntakeGate(concurrency=1, queue=0)
        return [await gate.run(lambda n=n: n) for n in range(3)]

    assert asyncio.run(scenario()) == [0, 1, 2]


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


def _exit_now() -> int:
    import os

    os._exit(3)  # a storing process that dies mid-delivery


def _double(n: int) -> int:
    return 2 * n


def test_a_storing_process_that_dies_costs_its_delivery_a_503_and_the_next_gets_a_new_one() -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from bot.webhooks.gate import ProcessLost

    pools: list[ProcessPoolExecutor] = []

    def new_pool() -> ProcessPoolExecutor:
        pools.append(ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")))
        return pools[-1]

    async def scenario() -> tuple[int, int]:
        gate = IntakeGate(concurrency=1, queue=4, processes=new_pool)
        try:
            before = await gate.run(_double, 20)
            with pytest.raises(ProcessLost):
                await gate.run(_exit_now)
            return before, await gate.run(_double, 21)
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
    gate = IntakeGate(concurrency=1, queue=1, processes=lambda: pool)
    stuck = pool.submit(_stuck)
    process = next(iter(pool._processes.values()))
    while not stuck.running():
        time.sleep(0.01)
    started = time.monotonic()
    gate.close()
    process.join(5)
    assert not process.is_alive()
    assert time.monotonic() - started < 5  # not the 60 s the delivery would have taken
