"""Slack acknowledgement latency under load (prints figures, asserts nothing).

The real app runs under uvicorn in its own process on loopback, on a database of 200 reps x 200
open deals. This process sends signed `/deals` commands and signed button presses (Done on a
recorded action, and "More") at a steady rate (default 50 requests/s for 60 s), and times each
HTTP answer: that is the acknowledgement Slack waits for (3 s at most; target p99 under 100 ms).
The slow work (ranking, answering via `response_url`) continues after the ack, against a local
fake of the Slack Web API. A bare FastAPI endpoint in the same server, hit at the same rate in the
same run, is the baseline; the ratios are what to compare between machines.

    python -m bench.bench_slack_ack [--rate 50] [--seconds 60] [--processes 2] [--url ...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.app_process import start_app  # noqa: E402
from bench.synthetic import Shape, write_synthetic  # noqa: E402
from storage.db import create_engine_for, create_schema  # noqa: E402
from tests.fake_slack import FakeSlack  # noqa: E402
from tests.live_server import free_port  # noqa: E402
from tests.slack_world import SECRET, TOKEN, sign  # noqa: E402

NOW = datetime.now(UTC)


def prepare(url: str, reps: int, deals: int) -> list[str]:
    engine = create_engine_for(url)
    create_schema(engine)
    with engine.begin() as conn:
        count = conn.exec_driver_sql("select count(*) from rep").scalar() or 0
    if count == 0:
        written = write_synthetic(
            engine,
            shape=Shape(reps=reps, open_deals_per_rep=deals, closed_deals=2000),
            seed=3,
            now=NOW,
        )
        print(f"wrote synthetic data in {written.seconds:.1f} s")
    with engine.begin() as conn:
        conn.exec_driver_sql("update rep set slack_user_id = 'U' || id")
        users = [f"U{row[0]}" for row in conn.exec_driver_sql("select id from rep order by id")]
    engine.dispose()
    return users


def serve(url: str, fake: FakeSlack, port: int, processes: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "DEALBOT_SCHEDULER_ENABLED": "false",
        "DEALBOT_LOG_LEVEL": "WARNING",
        "DEALBOT_HANDLER_PROCESSES": str(processes),
    }
    return start_app(env, port)


def command_body(user: str, fake: FakeSlack) -> bytes:
    return urlencode({
        "team_id": "T1", "channel_id": "C1", "user_id": user, "command": "/deals", "text": "",
        "response_url": f"{fake.url}/response/x", "trigger_id": "t",
    }).encode()  # fmt: skip


def press_body(user: str, fake: FakeSlack, value: str, action_id: str) -> bytes:
    payload = {
        "type": "block_actions", "user": {"id": user}, "team": {"id": "T1"}, "api_app_id": "A1",
        "container": {"type": "message", "is_ephemeral": True}, "trigger_id": "t",
        "response_url": f"{fake.url}/response/x",
        "actions": [{"type": "button", "action_id": action_id, "value": value, "block_id": "b"}],
    }  # fmt: skip
    return urlencode({"payload": json.dumps(payload)}).encode()


async def load(base: str, rate: float, seconds: float, make: list) -> dict[str, list[float]]:  # type: ignore[type-arg]
    """Send one request every 1/rate s, cycling through `make`; the latency of each, by kind."""
    timings: dict[str, list[float]] = {}
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:

        async def one(kind: str, path: str, body: bytes | None) -> None:
            started = time.perf_counter()
            if body is None:
                response = await client.get(path)
            else:
                headers = {**sign(body), "Content-Type": "application/x-www-form-urlencoded"}
                response = await client.post(path, content=body, headers=headers)
            elapsed = time.perf_counter() - started
            kind = kind if response.status_code < 400 else f"{kind} (HTTP {response.status_code})"
            timings.setdefault(kind, []).append(elapsed)

        tasks = []
        started = time.perf_counter()
        for n in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one(*make[n % len(make)]())))
        await asyncio.gather(*tasks)
    return timings


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="sqlite:////tmp/dealbot-ack.db")
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--deals", type=int, default=200)
    parser.add_argument(
        "--processes",
        type=int,
        default=2,
        help="DEALBOT_HANDLER_PROCESSES for the app (0: threads)",
    )
    args = parser.parse_args()
    users = prepare(args.url, args.reps, args.deals)
    rng = random.Random(7)
    with FakeSlack() as fake:
        port = free_port()
        server = serve(args.url, fake, port, args.processes)
        try:
            base = f"http://127.0.0.1:{port}"
            first = command_body(users[0], fake)
            headers = {**sign(first), "Content-Type": "application/x-www-form-urlencoded"}
            warm = [httpx.post(f"{base}/slack/events", content=first, headers=headers)]
            assert warm[0].status_code == 200
            more = "2::"
            make = [
                lambda: ("/deals", "/slack/events", command_body(rng.choice(users), fake)),
                lambda: (
                    "button",
                    "/slack/events",
                    press_body(rng.choice(users), fake, more, "dealbot.more"),
                ),
                lambda: ("bare endpoint", "/bench/bare", None),
            ]
            timings = asyncio.run(load(base, args.rate, args.seconds, make))
        finally:
            server.terminate()
            server.wait(timeout=10)
        answered = len(fake.calls_for("response_url"))
    report(timings, args, answered)


def report(timings: dict[str, list[float]], args: argparse.Namespace, answered: int) -> None:
    print(f"{args.rate:.0f} requests/s for {args.seconds:.0f} s over loopback, "
          f"{args.reps} reps x {args.deals} open deals ({args.url.split(':')[0]}), "
          f"handlers in {args.processes or 'no'} worker processes")  # fmt: skip
    bare = timings.get("bare endpoint", [float("nan")])
    bare_p50, bare_p99 = percentile(bare, 0.5), percentile(bare, 0.99)
    for kind, values in sorted(timings.items()):
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        print(
            f"  {kind:<14} n={len(values):5d}  p50 {p50 * 1000:7.1f} ms  p99 {p99 * 1000:7.1f} ms"
            f"  mean {statistics.fmean(values) * 1000:6.1f} ms"
            f"  (x{p50 / bare_p50:.1f} / x{p99 / bare_p99:.1f} the bare endpoint)"
        )
    print(f"  answers that reached response_url after the ack: {answered}")


if __name__ == "__main__":
    main()
