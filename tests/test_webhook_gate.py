"""Webhook deliveries are stored a few at a time; past the queue they are refused at once (503)."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

from bot.webhooks.gate import Busy, IntakeGate


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


def test_a_burst_over_http_is_answered_202_or_503_and_a_resent_503_is_stored_once(
    database_url: str,
) -> None:
    """One delivery stored at a time and none waiting: whatever the burst's timing, every answer
    is 202 or a 503 with Retry-After that stored nothing, and sending the 503s again (same key)
    ends with each lead stored and announced once."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.test_webhooks import LEADS, SARAH, hook_app

    with hook_app(database_url, webhook_concurrency=1, webhook_queue=0) as hook:

        def send(n: int) -> tuple[int, httpx.Response]:
            body = {**SARAH, "email": f"buyer{n}@company{n}.io", "company": f"Company {n}"}
            return n, hook.post(LEADS, body, key=f"burst-{n}")

        pending = list(range(24))
        for _ in range(50):
            with ThreadPoolExecutor(max_workers=12) as pool:
                answers = list(pool.map(send, pending))
            for _, answer in answers:
                assert answer.status_code in (202, 503), answer.text
                if answer.status_code == 503:
                    assert answer.headers["Retry-After"] == "1"
                    assert "retry" in answer.json()["error"]
            pending = [n for n, answer in answers if answer.status_code == 503]
            if not pending:
                break
        assert pending == []
        counts = hook.counts()
        assert counts["lead"] == 24
        assert sum(k.endswith(":channel") for k in hook.outbox_keys()) == 24
