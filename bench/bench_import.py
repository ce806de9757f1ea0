"""CSV import speed (prints figures, asserts nothing).

Target: a 100,000-row deals CSV in under 30 s. Writes a Salesforce-style export from a fixed
seed, imports it into a fresh SQLite file through the same use case as `dealbot import`, and does
the same for a 10,000-row file first in the same process, as the baseline of the ratio.

    python -m bench.bench_import [--rows 100000] [--baseline 10000] [--url-dir /tmp]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.stages import Pipeline  # noqa: E402
from handlers.importing import import_records  # noqa: E402
from storage.db import create_engine_for, create_schema  # noqa: E402
from storage.uow import UnitOfWorkFactory  # noqa: E402

COLUMNS = [
    "Opportunity ID",
    "Opportunity Name",
    "Account Name",
    "Amount",
    "Stage",
    "Close Date",
    "Created Date",
    "Lead Source",
    "Type",
    "Region",
    "Product",
]
STAGES = [
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
]


def export(rows: int, seed: int = 1) -> bytes:
    """A believable Salesforce opportunities export with `rows` rows over ~rows/20 accounts."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    start = date(2024, 1, 1)
    for n in range(rows):
        created = start + timedelta(days=rng.randint(0, 900))
        writer.writerow(
            [
                f"006{n:012d}",
                f"Opportunity {n}",
                f"Account {rng.randint(1, max(1, rows // 20))}",
                f"${rng.lognormvariate(10, 1):,.2f}",
                rng.choice(STAGES),
                (created + timedelta(days=rng.randint(10, 200))).strftime("%m/%d/%Y"),
                created.strftime("%m/%d/%Y"),
                rng.choice(["Web", "Partner", "Event", "Outbound"]),
                rng.choice(["New Business", "Renewal", "Upsell"]),
                rng.choice(["NA", "EMEA", "APAC"]),
                rng.choice(["Platform", "Insights", "Add-on"]),
            ]
        )
    return out.getvalue().encode("utf-8-sig")


class FixedClock:
    def now(self) -> datetime:
        return datetime(2026, 11, 23, 8, tzinfo=UTC)


def import_seconds(data: bytes, folder: Path, name: str) -> tuple[float, str]:
    engine = create_engine_for(f"sqlite:///{folder / name}")
    create_schema(engine)
    started = time.perf_counter()
    summary = import_records(
        "deals",
        data,
        preset="salesforce",
        column_map=None,
        dry_run=False,
        skip_bad_rows=False,
        uow_factory=UnitOfWorkFactory(engine),
        pipeline=Pipeline(),
        clock=FixedClock(),
    )
    seconds = time.perf_counter() - started
    engine.dispose()
    if summary.errors:
        raise SystemExit(f"import failed: {summary.errors[:3]}")
    return seconds, f"{summary.created:,} created, {summary.accounts_created:,} accounts"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        figures = {}
        for rows in (args.baseline, args.rows):
            data = export(rows)
            seconds, what = import_seconds(data, folder, f"import-{rows}.db")
            figures[rows] = seconds
            print(
                f"{rows:>8,} rows ({len(data) / 1e6:.1f} MB): {seconds:6.1f} s, "
                f"{rows / seconds:,.0f} rows/s ({what})"
            )
    ratio = figures[args.rows] / figures[args.baseline]
    print(
        f"ratio: {ratio:.1f}x the time for {args.rows / args.baseline:.0f}x the rows; target < 30 s"
    )


if __name__ == "__main__":
    main()
