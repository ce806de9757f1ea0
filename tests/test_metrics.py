"""`GET /metrics` over real HTTP: the admin rule of the reports API, and figures that move when
the app acknowledges Slack, delivers the outbox, fires response clocks and records first touches.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from bot.scheduler import DigestClock
from core.model import Lead
from tests.slack_world import NOW, SlackWorld, slack_world

ADMIN_TOKEN = "metrics-admin-token-2f9c8d"
FAR = {"X-Forwarded-For": "203.0.113.7"}
"""uvicorn believes X-Forwarded-For from a loopback peer: the request looks remote."""


def scrape(
    world: SlackWorld, **headers: str
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = world.http.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_follow_the_admin_rule(database_url: str) -> None:
    with slack_world(database_url, admin_token=ADMIN_TOKEN) as world:
        assert world.http.get("/metrics").status_code == 200
        assert world.http.get("/metrics", headers=FAR).status_code == 403
        wrong = {**FAR, "Authorization": f"Bearer {ADMIN_TOKEN}x"}
        assert world.http.get("/metrics", headers=wrong).status_code == 403
        right = {**FAR, "Authorization": f"Bearer {ADMIN_TOKEN}"}
        assert world.http.get("/metrics", headers=right).status_code == 200


def test_acks_are_timed_per_platform_and_other_paths_are_not(database_url: str) -> None:
    with slack_world(database_url) as world:
        before = scrape(world)
        for _ in range(3):
            assert world.command("U0ANA", "/deals").status_code == 200
        assert world.http.get("/healthz").status_code == 200
        after = scrape(world)
    count = "dealbot_ack_seconds_count"
    assert value(after, count, platform="slack") - value(before, count, platform="slack") == 3
    assert value(after, count, platform="teams") == 0
    assert value(after, "dealbot_ack_seconds_bucket", platform="slack", le="+Inf") == 3


def test_deliveries_retries_and_dead_letters_are_counted_by_platform(database_url: str) -> None:
    with slack_world(database_url, delivery_backoff_seconds=0.01) as world:
        services = world.services
        with services.uow_factory() as uow:
            for n, target in enumerate(("C1", "C2", "C404")):
                payload = {"message": {"summary": f"note {n}", "sections": []}}
                uow.outbox.enqueue(key=f"note:{n}", platform="slack", target=target,
                                   payload=payload, at=datetime.now(UTC) - timedelta(minutes=1))  # fmt: skip
            uow.commit()
        world.fake.fail(
            "chat.postMessage", status=429, retry_after=0, times=1, match={"channel": "C1"}
        )
        world.fake.fail("chat.postMessage", status=500, times=1, match={"channel": "C2"})
        world.fake.fail("chat.postMessage", status=200, error="channel_not_found", times=None,
                        match={"channel": "C404"})  # fmt: skip
        worker = _worker(services)
        asyncio.run(_rounds(worker, services))
        samples = scrape(world)
    assert value(samples, "dealbot_outbox_deliveries_total", platform="slack") == 2
    assert (
        value(samples, "dealbot_outbox_retries_total", platform="slack", reason="rate_limited") == 1
    )
    assert value(samples, "dealbot_outbox_retries_total", platform="slack", reason="failed") == 1
    assert value(samples, "dealbot_outbox_dead_letters_total", platform="slack") == 1


def test_clock_passes_sla_levels_and_first_touches_are_counted(database_url: str) -> None:
    with slack_world(database_url) as world:
        services = world.services
        clock = DigestClock(services, world.clock)
        assert asyncio.run(clock.tick()) is not None
        asyncio.run(clock.sweep())
        with services.uow_factory() as uow:
            for minutes in (3, 12):
                uow.leads.add(Lead(name="Touched", created_at=NOW, sla_started_at=NOW,
                                   first_touch_at=NOW + timedelta(minutes=minutes)))  # fmt: skip
            uow.commit()
        first = scrape(world)
        again = scrape(world)  # read again: the same touches are not counted twice
    ticks = "dealbot_scheduler_ticks_total"
    assert value(first, ticks, job="digest-tick", outcome="ran") == 1
    assert value(first, ticks, job="sla-sweep", outcome="ran") == 1
    touch = "dealbot_lead_first_touch_seconds"
    for samples in (first, again):
        assert value(samples, touch + "_count") == 2
        assert value(samples, touch + "_bucket", le="300") == 1
        assert value(samples, touch + "_bucket", le="900") == 2
        assert value(samples, touch + "_sum") == 15 * 60


def _worker(services: Any) -> Any:
    from bot.delivery.wiring import build_delivery_worker
    from bot.slack.render import render_message

    worker = build_delivery_worker(
        services.settings, services.engine, slack_render=render_message, metrics=services.metrics
    )
    assert worker is not None
    return worker


async def _rounds(worker: Any, services: Any) -> None:
    """Rounds until nothing is pending (a retried channel waits its second, Slack's pace)."""
    from storage.delivery import OutboxQueue

    for _ in range(100):
        await worker.run_once()
        if OutboxQueue(services.engine).counts()["pending"] == 0:
            break
        await asyncio.sleep(0.1)
    await worker.stop()
