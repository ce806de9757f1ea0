"""One replica against two, same machine, same database, same run (prints figures, asserts nothing).

The app runs as replicas of `dealbot serve` (each with its delivery worker and clocks) on the
PostgreSQL server named by `--url` or DEALBOT_TEST_POSTGRES_URL (a fresh database is made in
it; without one, a SQLite file, where a second replica mostly waits for the one writer). Slack
is the local fake, answering every call. Traffic at `--rate` requests a second, spread round
robin over the replicas as a load balancer would: signed `/deals` commands and signed lead
webhooks, half and half. Figures per phase (one replica, then two):

- acknowledgement: the HTTP answer time of `/deals` (what Slack's 3 s limit counts);
- lead to alert: from sending a lead webhook to the fake Slack taking its channel alert.

A few seconds of the same traffic go first, unmeasured, so the first phase does not pay for
first use (imports, caches, connections) alone. The second replica's own first use is measured.

    python -m bench.bench_replicas [--rate 40] [--seconds 20] [--url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_faults import fresh_database  # noqa: E402
from bench.fake_slack_process import alerts_received  # noqa: E402
from bench.intake_load import percentile  # noqa: E402
from bot.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER  # noqa: E402
from bot.webhooks.signing import sign as sign_webhook  # noqa: E402
from tests.fake_slack import FakeSlack  # noqa: E402
from tests.fault_world import (  # noqa: E402
    SIGNING_SECRET,
    WEBHOOK_SECRET,
    FaultPlan,
    Replica,
    prepare,
    start_replica,
)
from tests.slack_world import sign as sign_slack  # noqa: E402


def deals_command(user: str, fake: FakeSlack) -> tuple[str, bytes, dict[str, str]]:
    body = urlencode({
        "team_id": "T1", "channel_id": "C1", "user_id": user, "command": "/deals", "text": "",
        "response_url": f"{fake.url}/response/x", "trigger_id": "t",
    }).encode()  # fmt: skip
    headers = {**sign_slack(body, secret=SIGNING_SECRET),
               "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip
    return "/slack/events", body, headers


def lead_webhook(n: int, tag: str) -> tuple[str, bytes, dict[str, str]]:
    body = json.dumps({"name": f"Lead {tag}{n}", "email": f"{tag}{n}@company{n}.io",
                       "company": f"Company {n}", "demo_request": True}).encode()  # fmt: skip
    ts = str(int(time.time()))
    headers = {SIGNATURE_HEADER: sign_webhook(WEBHOOK_SECRET, ts, body), TIMESTAMP_HEADER: ts,
               "Idempotency-Key": f"{tag}-{n}", "Content-Type": "application/json"}  # fmt: skip
    return "/webhooks/leads", body, headers


async def traffic(
    replicas: list[Replica],
    fake: FakeSlack,
    rate: float,
    seconds: float,
    tag: str,
    users: list[str],
) -> tuple[list[float], dict[int, float]]:
    """(acknowledgement times of /deals, lead id -> when its webhook was sent)."""
    acks: list[float] = []
    sent: dict[int, float] = {}
    async with httpx.AsyncClient(timeout=30) as client:

        async def one(n: int) -> None:
            base = replicas[n % len(replicas)].base
            is_lead = (n // len(replicas)) % 2 == 0
            path, body, headers = (
                lead_webhook(n, tag) if is_lead else deals_command(users[n % len(users)], fake)
            )
            started = time.monotonic()
            answer = await client.post(base + path, content=body, headers=headers)
            if is_lead and answer.status_code == 202:
                sent[answer.json()["lead_id"]] = started
            elif not is_lead and answer.status_code == 200:
                acks.append(time.monotonic() - started)

        tasks, start = [], time.monotonic()
        for n in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
    return acks, sent


def phase(replicas: list[Replica], fake: FakeSlack, rate: float, seconds: float, tag: str,
          users: list[str]) -> dict[str, float]:  # fmt: skip
    acks, sent = asyncio.run(traffic(replicas, fake, rate, seconds, tag, users))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not set(sent) <= set(alerts_received(fake)):
        time.sleep(0.2)
    received = alerts_received(fake)
    alerts = [received[i] - sent[i] for i in sent if i in received]
    return {"ack p50": percentile(acks, 0.5), "ack p99": percentile(acks, 0.99),
            "alert p50": percentile(alerts, 0.5), "alert p99": percentile(alerts, 0.99),
            "leads": len(sent), "alerts": len(alerts), "acks": len(acks)}  # fmt: skip


def figures(rate: float = 40.0, seconds: float = 20.0, url: str | None = None) -> dict[str, str]:
    server = url or os.environ.get("DEALBOT_TEST_POSTGRES_URL")
    found: dict[str, str] = {}
    with fresh_database(server) as database, FakeSlack() as fake:
        plan = FaultPlan(database, replicas=2, teams=50, reps_per_team=2)
        prepare(plan)
        users = [f"UF{t:02d}{r}" for t in range(plan.teams) for r in range(plan.reps_per_team)]
        replicas = [start_replica(plan, fake, "a")]
        try:
            phase(replicas, fake, rate, min(seconds, 3.0), "warm", users)  # first-use costs

            for count in (1, 2):
                if len(replicas) < count:
                    replicas.append(start_replica(plan, fake, "b"))
                got = phase(replicas, fake, rate, seconds, f"r{count}x", users)
                label = f"replicas: {count} on {'PostgreSQL' if server else 'SQLite'}"
                found[f"{label}, /deals ack p50 / p99"] = (
                    f"{got['ack p50'] * 1000:.1f} / {got['ack p99'] * 1000:.1f} ms ({got['acks']:.0f})"
                )
                found[f"{label}, lead to alert p50 / p99"] = (
                    f"{got['alert p50'] * 1000:.0f} / {got['alert p99'] * 1000:.0f} ms "
                    f"({got['alerts']:.0f} of {got['leads']:.0f} alerts)"
                )
        finally:
            for replica in replicas:
                replica.process.terminate()
                replica.process.wait(15)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=40.0, help="requests a second, all replicas")
    parser.add_argument("--seconds", type=float, default=20.0, help="per phase")
    parser.add_argument("--url", help="a PostgreSQL server URL (default DEALBOT_TEST_POSTGRES_URL)")
    args = parser.parse_args()
    print(f"{args.rate:g} requests/s for {args.seconds:g} s per phase, {os.cpu_count()} cores")
    for name, value in figures(args.rate, args.seconds, args.url).items():
        print(f"{name:55} {value}")


if __name__ == "__main__":
    main()
