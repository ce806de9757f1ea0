"""Hot-lead latency and intake throughput (prints figures, asserts nothing).

The real app runs under uvicorn in its own process on loopback, with SQLite, its delivery worker
on, and Slack pointed at a local fake of the Web API in this process. The team: 100 teams of two
reps, each team with its own alert channel (Slack allows about one message a second per channel,
so one channel cannot take 50 alerts a second), everyone at work around the clock. The 100
channels together take about 100 alerts a second, so above that the alerts queue for Slack's
limit whatever the app does; the latency run stays below it.

1. Latency: signed lead webhooks at a steady rate (default 50/s for 60 s); for each lead, the
   time from sending the webhook to the fake Slack receiving its channel alert
   (`chat.postMessage` with the lead's outbox key in its metadata). Target p99 under 1 s.
2. Throughput (`--ramp`): steps of increasing rates for a few seconds each; a step is sustained
   when every webhook was answered 202 and the answers kept up (p99 under 1 s, all answered
   within the step plus 1 s). Target: at least 200 leads/s.

By default the delivery worker runs inside the web process, woken by each webhook; `--worker
process` runs it as its own process (`dealbot worker`, polling every 50 ms) instead.

A bare endpoint in the same server at the same rate is the baseline for the answer times.

    python -m bench.bench_intake [--rate 50] [--seconds 60] [--ramp 100,200,300,400] [--step 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import time as wall_time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.app_process import start_app  # noqa: E402
from bot.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign  # noqa: E402
from core.model import Rep, Team  # noqa: E402
from storage.db import create_engine_for  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.uow import UnitOfWorkFactory  # noqa: E402
from tests.fake_slack import FakeSlack  # noqa: E402
from tests.live_server import free_port  # noqa: E402
from tests.slack_world import SECRET, TOKEN  # noqa: E402

WEBHOOK_SECRET = "bench-webhook-secret"
ALL_WEEK = (0, 1, 2, 3, 4, 5, 6)


def prepare(url: str, teams: int, reps_per_team: int) -> None:
    path = url.removeprefix("sqlite:///")
    for suffix in ("", "-wal", "-shm"):
        Path(path + suffix).unlink(missing_ok=True)
    upgrade(url)  # as `dealbot db upgrade` does: the worker process checks the migrations
    engine = create_engine_for(url)
    factory = UnitOfWorkFactory(engine)
    with factory() as uow:
        for t in range(teams):
            team = uow.teams.add(Team(name=f"Team {t:03d}", alert_channel=f"CT{t:03d}"))
            for r in range(reps_per_team):
                uow.reps.add(
                    Rep(email=f"rep{t:03d}{r}@example.com", name=f"Rep {t:03d}{r}",
                        team_id=team.id, slack_user_id=f"U{t:03d}{r}", working_days=ALL_WEEK,
                        work_start=wall_time(0), work_end=wall_time(0), daily_capacity=100_000,
                        weekly_capacity=1_000_000)
                )  # fmt: skip
        uow.commit()
    engine.dispose()


def env_for(url: str, fake: FakeSlack, *, deliver: bool) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "DEALBOT_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "DEALBOT_SCHEDULER_ENABLED": "false",
        "DEALBOT_DELIVERY_ENABLED": "true" if deliver else "false",
        "DEALBOT_DELIVERY_RATE_PER_SECOND": "1000",
        "DEALBOT_DELIVERY_POLL_SECONDS": "0.05",
        "DEALBOT_LOG_LEVEL": "WARNING",
    }


def start_worker(url: str, fake: FakeSlack) -> subprocess.Popen[bytes]:
    """`dealbot worker` in its own process: the delivery worker beside a web process."""
    env = env_for(url, fake, deliver=True)
    command = [sys.executable, "-c", "from bot.cli import run; run()", "worker"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def serve(url: str, fake: FakeSlack, port: int, *, deliver: bool) -> subprocess.Popen[bytes]:
    env = env_for(url, fake, deliver=deliver)
    return start_app(env, port)


def lead_body(n: int, tag: str) -> bytes:
    return json.dumps({
        "name": f"Lead {tag}{n}", "email": f"lead{tag}{n}@company{n % 997}.io",
        "company": f"Company {n % 997}", "source": "website", "demo_request": n % 3 == 0,
        "message": "Please call me about pricing.", "utm_source": "google",
    }).encode()  # fmt: skip


async def send_at_rate(
    base: str, rate: float, seconds: float, tag: str
) -> tuple[dict[int, float], list[float], list[float], int]:
    """Webhooks every 1/rate s and a bare GET each time: (lead id -> sent at, 202 times, bare times, errors)."""
    sent: dict[int, float] = {}
    answers: list[float] = []
    bare: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=400)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:

        async def lead(n: int) -> None:
            nonlocal errors
            body = lead_body(n, tag)
            ts = str(int(time.time()))
            headers = {SIGNATURE_HEADER: sign(WEBHOOK_SECRET, ts, body), TIMESTAMP_HEADER: ts,
                       "Idempotency-Key": f"{tag}-{n}", "Content-Type": "application/json"}  # fmt: skip
            started = time.monotonic()
            try:
                response = await client.post("/webhooks/leads", content=body, headers=headers)
            except httpx.HTTPError:
                errors += 1
                return
            if response.status_code != 202:
                errors += 1
                return
            answers.append(time.monotonic() - started)
            sent[response.json()["lead_id"]] = started

        async def baseline() -> None:
            nonlocal errors
            started = time.monotonic()
            try:
                await client.get("/bench/bare")
            except httpx.HTTPError:  # an overloaded server is a figure, not the end of the run
                errors += 1
                return
            bare.append(time.monotonic() - started)

        tasks = []
        start = time.monotonic()
        for n in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
            tasks.append(asyncio.create_task(lead(n)))
            if n % 5 == 0:
                tasks.append(asyncio.create_task(baseline()))
        await asyncio.gather(*tasks)
    return sent, answers, bare, errors


def alerts_received(fake: FakeSlack) -> dict[int, float]:
    """Lead id -> when its channel alert reached the fake (first one; duplicates counted apart)."""
    seen: dict[int, float] = {}
    for call in fake.calls_for("chat.postMessage"):
        metadata = call.params.get("metadata") or {}
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        key = (metadata.get("event_payload") or {}).get("key", "")
        if key.endswith(":channel") and key.startswith("lead:"):
            lead_id = int(key.split(":")[1])
            seen.setdefault(lead_id, call.at)
    return seen


def duplicates(fake: FakeSlack) -> int:
    keys = []
    for call in fake.calls_for("chat.postMessage"):
        metadata = call.params.get("metadata") or {}
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        keys.append((metadata.get("event_payload") or {}).get("key", ""))
    return len(keys) - len(set(keys))


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def latency_run(base: str, fake: FakeSlack, rate: float, seconds: float) -> None:
    sent, answers, bare, errors = asyncio.run(send_at_rate(base, rate, seconds, "lat"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(alerts_received(fake)) < len(sent):
        time.sleep(0.2)
    received = alerts_received(fake)
    latencies = [received[i] - sent[i] for i in sent if i in received]
    print(f"latency: {rate:.0f} leads/s for {seconds:.0f} s, {len(sent)} accepted, "
          f"{errors} errors, {len(received)} channel alerts, {duplicates(fake)} duplicate posts")  # fmt: skip
    print(f"  webhook to channel alert  p50 {percentile(latencies, 0.5) * 1000:7.1f} ms  "
          f"p99 {percentile(latencies, 0.99) * 1000:7.1f} ms  "
          f"max {max(latencies, default=float('nan')) * 1000:7.1f} ms")  # fmt: skip
    print(f"  webhook answer (202)      p50 {percentile(answers, 0.5) * 1000:7.1f} ms  "
          f"p99 {percentile(answers, 0.99) * 1000:7.1f} ms")  # fmt: skip
    print(f"  bare endpoint             p50 {percentile(bare, 0.5) * 1000:7.1f} ms  "
          f"p99 {percentile(bare, 0.99) * 1000:7.1f} ms  (baseline)")  # fmt: skip


def ramp_run(base: str, rates: list[float], step: float) -> None:
    print(f"throughput: steps of {step:.0f} s")
    best = 0.0
    for rate in rates:
        started = time.monotonic()
        sent, answers, bare, errors = asyncio.run(send_at_rate(base, rate, step, f"r{rate:.0f}"))
        took = time.monotonic() - started
        p99 = percentile(answers, 0.99)
        kept_up = errors == 0 and p99 < 1.0 and took < step + 1.0
        best = rate if kept_up else best
        print(f"  {rate:5.0f}/s: {len(sent)} accepted in {took:5.1f} s ({len(sent) / took:5.0f}/s), "
              f"{errors} errors, 202 p50 {percentile(answers, 0.5) * 1000:6.1f} ms p99 "
              f"{p99 * 1000:7.1f} ms, bare p99 {percentile(bare, 0.99) * 1000:6.1f} ms"
              f"{'' if kept_up else '  <- not sustained'}")  # fmt: skip
        if not kept_up:
            break
    print(f"  highest sustained intake rate: {best:.0f} leads/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="sqlite:////tmp/dealbot-intake.db")
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--ramp", default="100,200,300,400")
    parser.add_argument("--step", type=float, default=10.0)
    parser.add_argument("--teams", type=int, default=100)
    parser.add_argument(
        "--worker",
        choices=("process", "inline"),
        default="inline",
        help="delivery in its own process (`dealbot worker`) or inside the web process",
    )
    args = parser.parse_args()
    prepare(args.url, args.teams, 2)
    print(f"SQLite, {os.cpu_count()} cores, {args.teams} teams x 2 reps, delivery {args.worker}, "
          f"load average {os.getloadavg()[0]:.2f} (the machine is shared: figures move with it)")  # fmt: skip
    with FakeSlack() as fake:
        port = free_port()
        inline = args.worker == "inline"
        server = serve(args.url, fake, port, deliver=inline)
        worker = None if inline else start_worker(args.url, fake)
        try:
            base = f"http://127.0.0.1:{port}"
            if args.seconds > 0:
                latency_run(base, fake, args.rate, args.seconds)
            if args.ramp:
                ramp_run(base, [float(r) for r in args.ramp.split(",")], args.step)
            print(f"load average at the end {os.getloadavg()[0]:.2f}")
        finally:
            for process in (server, worker):
                if process is not None:
                    process.terminate()
                    try:
                        process.wait(timeout=10)
                    except subprocess.TimeoutExpired:  # a server stuck behind its backlog
                        process.kill()
                        process.wait()


if __name__ == "__main__":
    main()
