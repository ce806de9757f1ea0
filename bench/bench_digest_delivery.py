"""Digest delivery through the real worker to a local fake of Slack (prints figures, asserts nothing).

Target: with 10% of `chat.postMessage` calls answered 429 (Retry-After 1 s), deliver at >= 90% of
the configured rate, losing nothing and sending nothing twice. Queues 2,000 digest-like DMs (seven
items each, buttons included, one distinct rep each) in a fresh SQLite outbox, runs the delivery
worker in the background exactly as the app does (Block Kit renderer, slack_sdk client, real
clock) against the fake Web API, and counts what the fake received: every message carries its
outbox key in Slack message metadata, so a duplicate is a key the fake accepted twice. A run of a
tenth of the size without 429s comes first in the same process, as the baseline.

    python -m bench.bench_digest_delivery [--rows 2000] [--rate 50] [--share-429 0.1] [--url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.delivery.slack import SlackMessenger  # noqa: E402
from bot.delivery.worker import DeliveryPolicy, DeliveryWorker  # noqa: E402
from bot.slack.render import render_message  # noqa: E402
from core.messages import Button, Field, Message, Section, Style, message_to_dict  # noqa: E402
from storage.db import create_engine_for, create_schema  # noqa: E402
from storage.delivery import SENT, OutboxQueue  # noqa: E402
from storage.uow import SqlUnitOfWork  # noqa: E402
from tests.fake_slack import FakeSlack  # noqa: E402


def digest(n: int) -> Message:
    items = tuple(
        Section(
            heading=f"Call Sarah at Account {n}-{i}",
            text="89% to close, $45k, closes in ~8 days. Why: proposal opened 3 times yesterday",
            fields=(Field("Stage", "Proposal"), Field("Expected value", "$40,050")),
            controls=(
                Button("Done", "action.done", f"{n}-{i}", Style.PRIMARY),
                Button("Snooze", "action.snooze", f"{n}-{i}"),
                Button("Log a call", "action.log", f"{n}-{i}"),
            ),
            key=f"{n}-{i}",
        )
        for i in range(7)
    )
    return Message(summary="Your 7 actions for today", title="Good morning", sections=items)


def fill_outbox(url: str, rows: int, prefix: str) -> None:
    engine = create_engine_for(url)
    create_schema(engine)
    now = datetime.now(UTC)
    with SqlUnitOfWork(engine) as uow:
        for n in range(rows):
            payload = {"message": message_to_dict(digest(n))}
            key = f"digest:{prefix}{n}:{now:%Y-%m-%d}"
            uow.outbox.enqueue(key=key, platform="slack", target=f"U{prefix}{n:05d}",
                               payload=payload, at=now)  # fmt: skip
        uow.commit()
    engine.dispose()


@dataclass
class Figures:
    rows: int
    rate: float
    seconds: float
    delivered: int
    lost: int
    duplicated: int
    answered_429: int
    requests: int
    busiest_second: int


async def deliver(url: str, fake: FakeSlack, rows: int, rate: float) -> float:
    """Run the worker in the background until the fake has accepted `rows` messages."""
    engine = create_engine_for(url)
    messenger = SlackMessenger(
        token="bench-bot-token", base_url=fake.api_url, render=render_message
    )
    policy = DeliveryPolicy(rate_per_second=rate, poll_interval=0.05)
    worker = DeliveryWorker(OutboxQueue(engine), {"slack": messenger}, policy, name="bench")
    start = time.monotonic()
    worker.start()
    deadline = start + 10 * rows / rate + 30
    while len(fake.calls_for("chat.postMessage", ok_only=True)) < rows:
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.02)
    accepted = [c.at for c in fake.calls_for("chat.postMessage", ok_only=True)]
    await worker.stop()
    engine.dispose()
    return (max(accepted) if accepted else time.monotonic()) - start


def run(url: str, rows: int, rate: float, share_429: float, prefix: str) -> Figures:
    fill_outbox(url, rows, prefix)
    with FakeSlack() as fake:
        if share_429 > 0:
            fake.fail_randomly(
                "chat.postMessage", status=429, rate=share_429, retry_after=1, seed=7
            )
        seconds = asyncio.run(deliver(url, fake, rows, rate))
        calls = fake.calls_for("chat.postMessage")
    accepted = [c for c in calls if c.ok]
    per_key = Counter(c.params["metadata"]["event_payload"]["key"] for c in accepted)
    first = min((c.at for c in accepted), default=0.0)
    per_second = Counter(int(c.at - first) for c in accepted)
    engine = create_engine_for(url)
    sent = len(OutboxQueue(engine).by_status(SENT, limit=rows * 2))
    engine.dispose()
    return Figures(
        rows=rows,
        rate=rate,
        seconds=seconds,
        delivered=len(per_key),
        lost=rows - sent,
        duplicated=sum(1 for n in per_key.values() if n > 1),
        answered_429=sum(1 for c in calls if c.status == 429),
        requests=len(calls),
        busiest_second=max(per_second.values(), default=0),
    )


def report(label: str, f: Figures) -> None:
    achieved = f.delivered / f.seconds if f.seconds else 0.0
    print(
        f"{label}: {f.rows} rows, limit {f.rate:g}/s, {f.delivered} delivered in {f.seconds:.1f} s "
        f"= {achieved:.1f}/s ({achieved / f.rate:.0%} of the limit); lost {f.lost}, "
        f"duplicated {f.duplicated}; {f.answered_429} of {f.requests} requests answered 429 "
        f"({f.requests / f.seconds:.1f} requests/s); busiest second {f.busiest_second} messages"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=50.0, help="messages per second allowed")
    parser.add_argument("--share-429", type=float, default=0.1)
    parser.add_argument("--url", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        baseline_url = f"sqlite:///{Path(folder) / 'baseline.db'}"
        report("baseline (no 429s)", run(baseline_url, args.rows // 10, args.rate, 0.0, "b"))
        url = args.url or f"sqlite:///{Path(folder) / 'bench.db'}"
        report(
            f"{args.share_429:.0%} answered 429", run(url, args.rows, args.rate, args.share_429, "")
        )


if __name__ == "__main__":
    main()
