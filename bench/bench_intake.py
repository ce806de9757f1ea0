"""Hot-lead latency and intake throughput (prints figures, asserts nothing).

The real app runs under uvicorn in its own process on loopback, with SQLite, its delivery worker
on, and Slack pointed at a local fake of the Web API in a process of its own
(bench/fake_slack_process.py); the load client (bench/intake_load.py, aiohttp) is this process.
Each team has its own alert channel and everyone is at work around the clock. Slack allows about
one message a second per channel (the app sends a burst of 3, then about 1 a second, per
channel), so the number of teams bounds the alert rate: by default there are 1.25 channels for
each lead a second of the top rate (313 teams x 2 reps for a ramp to 250/s), at least 100.

1. Latency: signed lead webhooks at a steady rate (default 50/s for 60 s); for each lead, the
   time from its scheduled sending instant to the fake Slack receiving its channel alert
   (`chat.postMessage` with the lead's outbox key in its metadata). Target p99 under 1 s.
2. Throughput (`--ramp`): steps of increasing rates (default 30 s each); a step is sustained
   when at least 99.5% of its webhooks were answered 202, the 202 p99 is under 1 s and every
   answer came within the step plus 1 s. Target: at least 200 leads/s. Apart from that, per
   step: the channel alerts' lag (webhook to alert, p50/p99) and how many had arrived 5 s after
   the step ended. The next step waits until the alerts have drained (at most 30 s).

CPU time per lead of each process (web, worker, fake Slack, load client) is read from /proc
before and after each run, counting the delivery of its alerts. Times on both sides are
time.monotonic() (CLOCK_MONOTONIC, one clock for the whole machine on Linux).

By default the delivery worker runs inside the web process, woken by each webhook; `--worker
process` runs it as its own process (`dealbot worker`, polling every 50 ms) instead. `--storing
N` stores the leads in N processes of their own (DEALBOT_WEBHOOK_PROCESSES), and `--web N` runs
N web processes on one listening socket. Ten leads go through to their alerts, unmeasured,
before the first figure, so no run pays for the processes' start.

A bare endpoint in the same server (one request per 5 leads) is the baseline for answer times.

    python -m bench.bench_intake [--rate 50] [--seconds 60] [--ramp 100,150,200,250] [--step 30]
                                 [--teams N] [--worker inline|process] [--storing N] [--web N]
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from datetime import time as wall_time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import intake_load  # noqa: E402
from bench.app_process import start_apps  # noqa: E402
from bench.cpu_time import CpuMeter  # noqa: E402
from bench.fake_slack_process import FakeSlackProcess  # noqa: E402
from bench.intake_load import WEBHOOK_SECRET, Outcome, percentile  # noqa: E402
from core.model import Rep, Team  # noqa: E402
from storage.db import create_engine_for  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.uow import UnitOfWorkFactory  # noqa: E402
from tests.live_server import free_port  # noqa: E402
from tests.slack_world import SECRET, TOKEN  # noqa: E402

ALL_WEEK = (0, 1, 2, 3, 4, 5, 6)
LOAD_SIDE = ("fake Slack", "load client")
DRAIN = 30.0
"""Seconds after a step's end that the next step waits, at most, for its alerts."""


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


def env_for(url: str, api_url: str, *, deliver: bool, storing: int = 0) -> dict[str, str]:
    return {
        **os.environ,
        "DEALBOT_WEBHOOK_PROCESSES": str(storing),
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        "DEALBOT_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "DEALBOT_SCHEDULER_ENABLED": "false",
        "DEALBOT_DELIVERY_ENABLED": "true" if deliver else "false",
        "DEALBOT_DELIVERY_RATE_PER_SECOND": "1000",
        "DEALBOT_DELIVERY_POLL_SECONDS": "0.05",
        "DEALBOT_LOG_LEVEL": "WARNING",
    }


def storing_pids(servers: list[subprocess.Popen[bytes]]) -> list[int]:
    """The storing processes the web processes started (their Python children)."""
    found = []
    for server in servers:
        for task in Path(f"/proc/{server.pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                if "spawn_main" in Path(f"/proc/{child}/cmdline").read_text():
                    found.append(int(child))
    return found


def start_worker(url: str, api_url: str) -> subprocess.Popen[bytes]:
    """`dealbot worker` in its own process: the delivery worker beside a web process."""
    env = env_for(url, api_url, deliver=True)
    command = [sys.executable, "-c", "from bot.cli import run; run()", "worker"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)


def wait_for_alerts(fake: FakeSlackProcess, leads: dict[int, float], until: float) -> None:
    """Poll the fake until every lead in `leads` has its channel alert, or until `until`."""
    while time.monotonic() < until and not leads.keys() <= fake.alerts().keys():
        time.sleep(0.25)


def ms(values: list[float], share: float) -> str:
    return f"{percentile(values, share) * 1000:7.1f} ms"


def latency_run(base: str, fake: FakeSlackProcess, meter: CpuMeter, rate: float, seconds: float) -> None:  # fmt: skip
    meter.start()
    out = intake_load.run(base, rate, seconds, "lat")
    wait_for_alerts(fake, out.sent, time.monotonic() + 30)
    cpu = meter.line(out.leads, LOAD_SIDE)
    alerts = fake.alerts()
    latencies = [alerts[i] - at for i, at in out.sent.items() if i in alerts]
    received = sum(1 for i in out.sent if i in alerts)
    print(f"latency: {rate:.0f} leads/s for {seconds:.0f} s, {len(out.sent)} accepted, "
          f"{out.errors + out.bare_errors} errors, {received} channel alerts, "
          f"{fake.duplicates()} duplicate posts")  # fmt: skip
    print(f"  webhook to channel alert  p50 {ms(latencies, 0.5)}  p99 {ms(latencies, 0.99)}  "
          f"max {max(latencies, default=float('nan')) * 1000:7.1f} ms")  # fmt: skip
    print(f"  webhook answer (202)      p50 {ms(out.answers, 0.5)}  p99 {ms(out.answers, 0.99)}")
    print(f"  bare endpoint             p50 {ms(out.bare, 0.5)}  p99 {ms(out.bare, 0.99)}  (baseline)")  # fmt: skip
    print(f"  {cpu}")


def warm_up(base: str, fake: FakeSlackProcess) -> None:
    """Ten leads through to their alerts, unmeasured: every process is up and past first use."""
    out = intake_load.run(base, 10.0, 1.0, "warm")
    wait_for_alerts(fake, out.sent, time.monotonic() + 60)


def sustained(out: Outcome, step: float) -> bool:
    return (
        len(out.answers) >= 0.995 * out.leads
        and percentile(out.answers, 0.99) < 1.0
        and out.took < step + 1.0
    )


def ramp_step(base: str, fake: FakeSlackProcess, meter: CpuMeter, rate: float, step: float) -> bool:  # fmt: skip
    meter.start()
    out = intake_load.run(base, rate, step, f"r{rate:.0f}")
    ended = out.start + step
    time.sleep(max(0.0, ended + 5 - time.monotonic()))
    alerts = fake.alerts()
    on_time = sum(1 for i in out.sent if alerts.get(i, math.inf) <= ended + 5)
    wait_for_alerts(fake, out.sent, ended + DRAIN)
    cpu = meter.line(out.leads, LOAD_SIDE)
    alerts = fake.alerts()
    lags = [alerts[i] - at for i, at in out.sent.items() if i in alerts]
    kept_up = sustained(out, step)
    print(f"  {rate:5.0f}/s: {len(out.sent)} of {out.leads} accepted in {out.took:5.1f} s "
          f"({len(out.sent) / out.took:5.0f}/s), {out.errors} errors, 202 p50 "
          f"{ms(out.answers, 0.5)} p99 {ms(out.answers, 0.99)}, bare p99 {ms(out.bare, 0.99)}"
          f"{'' if kept_up else '  <- not sustained'}")  # fmt: skip
    print(f"          channel alerts: {on_time} of {len(out.sent)} within 5 s of the step's end, "
          f"{len(lags)} by {time.monotonic() - ended:.0f} s; lag p50 {ms(lags, 0.5)} "
          f"p99 {ms(lags, 0.99)}")  # fmt: skip
    print(f"          {cpu}")
    return kept_up


def ramp_run(base: str, fake: FakeSlackProcess, meter: CpuMeter, rates: list[float], step: float) -> None:  # fmt: skip
    print(f"throughput: steps of {step:.0f} s (sustained: >= 99.5% answered 202, 202 p99 < 1 s, "
          "all answered within the step + 1 s)")  # fmt: skip
    best = 0.0
    for rate in rates:
        if not ramp_step(base, fake, meter, rate, step):
            break
        best = rate
    print(f"  highest sustained intake rate: {best:.0f} leads/s")


def stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:  # a server stuck behind its backlog
        process.kill()
        process.wait()


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="default: a SQLite file in a fresh temporary folder")
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--ramp", default="100,150,200,250")
    parser.add_argument("--step", type=float, default=30.0)
    parser.add_argument("--teams", type=int, help="default: 1.25 x the top rate, at least 100")
    parser.add_argument(
        "--worker",
        choices=("process", "inline"),
        default="inline",
        help="delivery in its own process (`dealbot worker`) or inside the web process",
    )
    parser.add_argument(
        "--web", type=int, default=1, help="web processes sharing the port (each storing leads)"
    )
    parser.add_argument(
        "--storing",
        type=int,
        default=0,
        help="DEALBOT_WEBHOOK_PROCESSES: processes that store the leads (0: web process threads)",
    )
    args = parser.parse_args()
    args.rates = [float(r) for r in args.ramp.split(",")] if args.ramp else []
    if args.teams is None:
        args.teams = max(100, math.ceil(1.25 * max([*args.rates, args.rate])))
    return args


def main() -> None:
    args = arguments()
    if args.url is not None:
        run(args)
        return
    with tempfile.TemporaryDirectory(prefix="dealbot-intake-") as folder:
        args.url = f"sqlite:///{folder}/intake.db"  # a run of its own beside others on the machine
        run(args)


def run(args: argparse.Namespace) -> None:
    prepare(args.url, args.teams, 2)
    print(f"SQLite, {os.cpu_count()} cores, {args.teams} teams x 2 reps, {args.web} web process"
          f"{'es' if args.web > 1 else ''}, {args.storing} storing, delivery {args.worker}, "
          f"load average {os.getloadavg()[0]:.2f} (the machine is shared: figures move with it)")  # fmt: skip
    with FakeSlackProcess() as fake:
        inline = args.worker == "inline"
        port = free_port()
        env = env_for(args.url, fake.api_url, deliver=inline, storing=args.storing)
        servers = start_apps(env, port, args.web)
        worker = None if inline else start_worker(args.url, fake.api_url)
        webs = {f"web {n}" if args.web > 1 else "web": s.pid for n, s in enumerate(servers, 1)}
        try:
            base = f"http://127.0.0.1:{port}"
            warm_up(base, fake)  # every storing process is up before the app answers
            storing = {f"storing {n}": pid for n, pid in enumerate(storing_pids(servers), 1)}
            pids = {**webs, **storing, **({"worker": worker.pid} if worker else {})}
            meter = CpuMeter({**pids, "fake Slack": fake.pid, "load client": os.getpid()})
            if args.seconds > 0:
                latency_run(base, fake, meter, args.rate, args.seconds)
            if args.rates:
                ramp_run(base, fake, meter, args.rates, args.step)
            print(f"load average at the end {os.getloadavg()[0]:.2f}")
        finally:
            for server in servers:
                stop(server)
            stop(worker)


if __name__ == "__main__":
    main()
