"""A fault-injection run: replicas of `dealbot serve` on one database, a fake Slack that fails 30%
of calls, a burst of leads and a digest morning, one replica killed with SIGKILL mid-delivery.

Used by tests/test_faults.py (small) and bench/bench_faults.py (bigger, prints the figures).

1. The database is migrated (`dealbot db upgrade`) and seeded: teams with their own alert
   channels, reps with Slack ids working around the clock.
2. The fake Slack answers a seeded 30% of every call with 500 or 429 (Retry-After 1 s), and
   holds the answer to the first post made by replica A: Slack has the message, A has not heard.
3. The leads arrive as signed webhooks, spread over the replicas as a load balancer would (a
   refused connection is retried on the next replica with the same Idempotency-Key), and the
   digest tick runs for a fixed morning (`dealbot tick --at`).
4. Replica A is killed with SIGKILL while its post is held, then started again.
5. The faults stop; the run waits until no message is pending (bounded in time and in calls to
   the fake), then counts, per outbox key, the posts the fake took.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from datetime import time as wall_time
from pathlib import Path

import httpx
from sqlalchemy import text

from bot.delivery.reconcile import CONNECTION_LOST
from bot.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from core.model import Rep, Team
from storage.db import create_engine_for
from storage.delivery import LEASE_LOST
from storage.migrate import upgrade
from storage.uow import UnitOfWorkFactory
from tests.fake_slack import FakeSlack
from tests.live_server import free_port

ROOT = Path(__file__).resolve().parent.parent
WEBHOOK_SECRET = "fault-run-webhook-secret"
SIGNING_SECRET = "fault-run-signing-secret"
ALL_WEEK = (0, 1, 2, 3, 4, 5, 6)
START_SECONDS = 60.0


@dataclass(frozen=True)
class FaultPlan:
    database_url: str
    replicas: int = 2
    leads: int = 30
    teams: int = 6
    reps_per_team: int = 2
    fault_rate: float = 0.3
    seed: int = 7
    lease_seconds: float = 18.0
    """The shortest lease with a 2 s send timeout (`bot.settings.send_timeout_seconds`): the
    kill comes first even on a busy machine; a send that times out instead is checked against
    the history all the same."""
    drain_timeout: float = 120.0
    max_calls_per_message: int = 40
    """The run stops when the fake has seen more calls than this times the messages expected."""


@dataclass
class FaultReport:
    leads_sent: int = 0
    leads_accepted: int = 0
    expected: int = 0
    delivered: int = 0
    duplicated: int = 0
    lost: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    faults_answered: int = 0
    calls: int = 0
    drain_seconds: float = float("nan")
    held_key: str | None = None
    held_found_in_history: bool = False
    held_row: tuple[str, str, str | None] | None = None
    """The held post's row: (key, status, last error)."""
    per_key: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        return [
            f"leads accepted {self.leads_accepted} of {self.leads_sent}",
            f"messages expected {self.expected}, delivered {self.delivered}, "
            f"duplicated {self.duplicated}, lost {self.lost}",
            f"outbox rows by status {self.statuses}",
            f"fake Slack: {self.calls} calls, {self.faults_answered} answered 500/429",
            f"killed replica's held post {self.held_key}: "
            f"{'found in history, not posted again' if self.held_found_in_history else 'not found'}"
            f" (row {self.held_row})",
            f"time to drain after the faults stopped: {self.drain_seconds:.1f} s",
        ]


def prepare(plan: FaultPlan) -> None:
    """Migrate and seed the database: `teams` teams with their channel, reps working all day."""
    if plan.database_url.startswith("sqlite:///"):
        path = plan.database_url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)
    upgrade(plan.database_url)
    engine = create_engine_for(plan.database_url)
    with UnitOfWorkFactory(engine)() as uow:
        for t in range(plan.teams):
            team = uow.teams.add(Team(name=f"Team {t:02d}", alert_channel=f"CF{t:02d}"))
            for r in range(plan.reps_per_team):
                uow.reps.add(
                    Rep(email=f"rep{t:02d}{r}@example.com", name=f"Rep {t:02d}{r}",
                        team_id=team.id, slack_user_id=f"UF{t:02d}{r}", working_days=ALL_WEEK,
                        work_start=wall_time(0), work_end=wall_time(0), daily_capacity=10_000,
                        weekly_capacity=100_000)
                )  # fmt: skip
        uow.commit()
    engine.dispose()


def replica_env(plan: FaultPlan, fake: FakeSlack, name: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": plan.database_url,
        "SLACK_BOT_TOKEN": token_of(name),
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "DEALBOT_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "DEALBOT_SCHEDULER_ENABLED": "true",
        "DEALBOT_DELIVERY_ENABLED": "true",
        "DEALBOT_DELIVERY_LEASE_SECONDS": f"{plan.lease_seconds:g}",
        "DEALBOT_DELIVERY_BACKOFF_SECONDS": "0.2",
        "DEALBOT_DELIVERY_POLL_SECONDS": "0.1",
        "DEALBOT_DELIVERY_RATE_PER_SECOND": "200",
        "DEALBOT_DELIVERY_MAX_ATTEMPTS": "25",
        "DEALBOT_LOG_LEVEL": "WARNING",
    }


def token_of(name: str) -> str:
    return f"fault-run-token-{name}"


@dataclass
class Replica:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_replica(plan: FaultPlan, fake: FakeSlack, name: str, port: int | None = None) -> Replica:
    """`dealbot serve` in its own process; returns once /healthz answers."""
    port = port or free_port()
    command = [sys.executable, "-c", "from bot.cli import run; run()", "serve", "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=ROOT, env=replica_env(plan, fake, name), stdout=subprocess.DEVNULL
    )
    replica = Replica(name, port, process)
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{replica.base}/healthz", timeout=1).status_code == 200:
                return replica
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"replica {name} did not start")


def send_leads(replicas: list[Replica], count: int, tag: str) -> int:
    """Signed lead webhooks, round robin; a replica that refuses is skipped for the next one."""
    accepted = 0
    with httpx.Client(timeout=10) as client:
        for n in range(count):
            body = json.dumps({
                "name": f"Lead {tag}{n}", "email": f"lead{tag}{n}@company{n}.io",
                "company": f"Company {n}", "source": "website", "demo_request": True,
                "message": "Please call me about pricing.",
            }).encode()  # fmt: skip
            for attempt in range(int(START_SECONDS / 0.2)):  # a lone replica may be restarting
                replica = replicas[(n + attempt) % len(replicas)]
                ts = str(int(time.time()))
                headers = {SIGNATURE_HEADER: sign(WEBHOOK_SECRET, ts, body), TIMESTAMP_HEADER: ts,
                           "Idempotency-Key": f"{tag}-{n}", "Content-Type": "application/json"}  # fmt: skip
                try:
                    answer = client.post(
                        f"{replica.base}/webhooks/leads", content=body, headers=headers
                    )
                except httpx.HTTPError:
                    time.sleep(0.2)
                    continue
                # 200: a retry of a delivery whose replica stored the lead and was killed before
                # its 202 went out; the answer names the lead that delivery made.
                if answer.status_code in (200, 202):
                    accepted += 1
                    break
                time.sleep(0.2)  # a 503 from a busy or starting replica: wait as for a refusal
    return accepted


def digest_morning(plan: FaultPlan, fake: FakeSlack, at: datetime) -> None:
    """`dealbot tick --at` once, as the clock of a replica would at that minute."""
    command = [
        sys.executable,
        "-c",
        "from bot.cli import run; run()",
        "tick",
        "--at",
        at.isoformat(),
    ]
    subprocess.run(
        command,
        cwd=ROOT,
        env=replica_env(plan, fake, "tick"),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def outbox_rows(url: str) -> list[tuple[str, str, str | None, bool]]:
    """(key, status, last error, is an edit) of every outbox row."""
    engine = create_engine_for(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("select key, status, last_error, payload from outbox")).all()
    finally:
        engine.dispose()
    return [
        (k, s, e, "edit_of" in (p if isinstance(p, dict) else json.loads(p))) for k, s, e, p in rows
    ]


def posts_per_key(fake: FakeSlack) -> Counter[str]:
    """Posts the fake took (accepted chat.postMessage calls), per outbox key in their metadata."""
    keys: Counter[str] = Counter()
    for call in fake.calls_for("chat.postMessage", ok_only=True):
        metadata = call.params.get("metadata") or {}
        keys[(metadata.get("event_payload") or {}).get("key", "")] += 1
    return keys


def wait_for_drain(plan: FaultPlan, fake: FakeSlack, budget: int) -> bool:
    """True once no row is pending or sending; False at the time or call budget."""
    deadline = time.monotonic() + plan.drain_timeout
    while time.monotonic() < deadline and len(fake.calls) < budget:
        statuses = {status for _, status, _, _ in outbox_rows(plan.database_url)}
        if statuses <= {"sent", "dead"}:
            return True
        time.sleep(0.2)
    return False


def morning_of_today() -> datetime:
    """Today 00:01 UTC: a fixed digest morning that is already past (posts carry real times)."""
    today = datetime.now(UTC).date()
    return datetime(today.year, today.month, today.day, 0, 1, tzinfo=UTC)


def run_faults(plan: FaultPlan) -> FaultReport:
    """The whole run; every replica is stopped before it returns."""
    prepare(plan)
    report = FaultReport()
    with FakeSlack() as fake:
        fake.start_faults(rate=plan.fault_rate, seed=plan.seed, retry_after=1)
        held = fake.hold_next_post(token_of("a"))
        names = [chr(ord("a") + n) for n in range(plan.replicas)]
        replicas = [start_replica(plan, fake, name) for name in names]
        killer = threading.Thread(target=_kill_when_held, args=(plan, fake, held, replicas))
        killer.start()
        try:
            report.leads_sent = plan.leads
            report.leads_accepted = send_leads(replicas, plan.leads, "burst")
            digest_morning(plan, fake, morning_of_today())
            killer.join(START_SECONDS * 2)
            report.held_key = _held_key(fake)
            fake.stop_faults()
            stopped = time.monotonic()
            expected_rows = len(outbox_rows(plan.database_url))
            budget = plan.max_calls_per_message * max(1, expected_rows)
            if wait_for_drain(plan, fake, budget):
                report.drain_seconds = time.monotonic() - stopped
        finally:
            for replica in replicas:
                replica.process.terminate()
            for replica in replicas:
                try:
                    replica.process.wait(15)
                except subprocess.TimeoutExpired:
                    replica.process.kill()
        _count(report, plan, fake)
    return report


def _kill_when_held(
    plan: FaultPlan, fake: FakeSlack, held: threading.Event, replicas: list[Replica]
) -> None:
    """SIGKILL replica a the moment Slack holds its post, let the answer go, start a again."""
    if not held.wait(START_SECONDS):
        return
    replicas[0].process.send_signal(signal.SIGKILL)
    replicas[0].process.wait(10)
    fake.release_held()
    replicas[0] = start_replica(plan, fake, "a")


def _held_key(fake: FakeSlack) -> str | None:
    for call in fake.calls_for("chat.postMessage", ok_only=True):
        if call.token == token_of("a"):
            return str(((call.params.get("metadata") or {}).get("event_payload") or {}).get("key"))
    return None


def _count(report: FaultReport, plan: FaultPlan, fake: FakeSlack) -> None:
    rows = outbox_rows(plan.database_url)
    posts = posts_per_key(fake)
    expected = {key for key, _, _, edit in rows if not edit}
    report.expected = len(expected)
    report.per_key = Counter({key: posts.get(key, 0) for key in expected})
    report.delivered = sum(1 for key in expected if posts.get(key, 0) >= 1)
    report.duplicated = sum(posts.get(key, 0) - 1 for key in expected if posts.get(key, 0) > 1)
    report.lost = sum(1 for key in expected if posts.get(key, 0) == 0)
    report.statuses = dict(Counter(status for _, status, _, _ in rows))
    report.faults_answered = fake.faults_answered
    report.calls = len(fake.calls)
    held = next((r for r in rows if r[0] == report.held_key), None)
    report.held_row = None if held is None else (held[0], held[1], held[2])
    unsure = held is not None and (
        held[2] == LEASE_LOST or str(held[2]).startswith(CONNECTION_LOST)
    )
    report.held_found_in_history = (
        held is not None and held[1] == "sent" and unsure and posts.get(held[0]) == 1
    )
    unknown = set(posts) - expected
    report.duplicated += sum(posts[key] for key in unknown)  # a post with no row is never right
