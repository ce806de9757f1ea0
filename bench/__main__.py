"""`python -m bench [--quick]`: every benchmark from fixed seeds, one table, and the machine.

Ranking, import, training, digest delivery, Slack acknowledgements, intake and the SLA sweep run
as their own scripts (each stays runnable alone, `python -m bench.bench_x`), in a child process
so one's memory and threads do not colour the next; the rows of the table are the figures each
prints. The fault-injection run and the replica comparison return their figures as functions.
With DEALBOT_TEST_POSTGRES_URL set (e.g. under scripts/pg-test-server), those two run on
PostgreSQL. `--quick` runs every one at a small size, for a check in a few minutes; the
figures of a quick run are not the README's.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCRIPTS: dict[str, tuple[list[str], list[str]]] = {
    "ranking": (["--reps", "100", "--deals", "50"], []),
    "import": (["--rows", "10000", "--baseline", "1000"], []),
    "train": (["--deals", "5000", "--baseline", "1000", "--score", "20000"], ["--from-db"]),
    "digest_delivery": (["--rows", "200"], []),
    "slack_ack": (["--seconds", "5", "--reps", "50", "--deals", "50"], []),
    "intake": (["--seconds", "5", "--ramp", "", "--teams", "63"], []),
    "sla_sweep": (["--leads", "10000", "--due", "100"], []),
}
"""Script name -> (arguments of a quick run, arguments of a full run)."""


def machine() -> dict[str, str]:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in _cpuinfo() if line.startswith("model name")),
        platform.processor() or "unknown",
    )
    found = {
        "machine": f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
    }
    postgres = os.environ.get("DEALBOT_TEST_POSTGRES_URL")
    if postgres:
        from sqlalchemy import create_engine, text

        engine = create_engine(postgres)
        with engine.connect() as conn:
            found["PostgreSQL"] = str(conn.execute(text("show server_version")).scalar_one())
        engine.dispose()
    return found


def _cpuinfo() -> list[str]:
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


WITH_URL = {"ranking", "digest_delivery", "slack_ack", "intake", "sla_sweep"}
"""Scripts that take `--url`: each gets a SQLite file of its own in this run's folder."""


def run_script(name: str, arguments: list[str], folder: Path) -> list[tuple[str, str]]:
    """The figures a script prints, one row a line, and how long it took."""
    started = time.monotonic()
    if name in WITH_URL:
        arguments = ["--url", f"sqlite:///{folder / name}.db", *arguments]
    command = [sys.executable, "-m", f"bench.bench_{name}", *arguments]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    took = time.monotonic() - started
    lines = [line.rstrip() for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0:
        errors = [e for e in done.stderr.splitlines() if "Error" in e or "error:" in e]
        lines.append(f"failed (exit {done.returncode}): {(errors or ['see its own run'])[-1]}")
    rows = [(name, line.strip()) for line in lines]
    return [*rows, (name, f"(ran {took:.0f} s)")]


def run_function(name: str, figures: Callable[[], dict[str, str]]) -> list[tuple[str, str]]:
    try:
        return [(name, f"{label}: {value}") for label, value in figures().items()]
    except Exception as error:  # one failing benchmark must not hide the others' figures
        return [(name, f"failed: {type(error).__name__}: {error}")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a few minutes")
    parser.add_argument("--only", nargs="*", help="run these benchmarks only (e.g. faults intake)")
    args = parser.parse_args()
    from bench import bench_faults, bench_replicas

    functions: dict[str, Callable[[], dict[str, str]]] = {
        "faults": lambda: bench_faults.figures(leads=40 if args.quick else 200),
        "replicas": lambda: bench_replicas.figures(seconds=5 if args.quick else 20),
    }
    rows: list[tuple[str, str]] = [("", f"{k}: {v}") for k, v in machine().items()]
    with tempfile.TemporaryDirectory(prefix="dealbot-bench-") as folder:
        for name, (quick, full) in SCRIPTS.items():
            if not args.only or name in args.only:
                rows += run_script(name, quick if args.quick else full, Path(folder))
    for name, figures in functions.items():
        if not args.only or name in args.only:
            rows += run_function(name, figures)
    width = max(len(name) for name, _ in rows)
    print(f"{'benchmark':{width}}  figures ({'quick run' if args.quick else 'full run'})")
    for name, line in rows:
        print(f"{name:{width}}  {line}")


if __name__ == "__main__":
    main()
