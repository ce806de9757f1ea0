"""The `dealbot` command line as a person uses it: real SQLite files, real output, exit codes."""

from __future__ import annotations

import csv
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main

NOW = "2026-11-23T08:00"


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'dealbot.db'}"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def first_rep(url: str) -> str:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        (email,) = conn.execute(
            "select email from rep where role = 'rep' order by id limit 1"
        ).fetchone()
    return str(email)


def test_seed_then_digest_prints_a_ranked_list_with_reasons(db, capsys):
    code, out, _ = run(capsys, "--database-url", db, "seed", "--seed", "3", "--now", NOW)
    assert code == 0 and "300" in out
    code, out, err = run(
        capsys, "--database-url", db, "digest", "--rep", first_rep(db), "--at", NOW
    )
    assert code == 0, err
    assert "% to close" in out and "actions as of 2026-11-23 08:00" in out


def test_digest_records_what_it_showed(db, capsys):
    run(capsys, "--database-url", db, "seed", "--now", NOW)
    run(capsys, "--database-url", db, "digest", "--rep", first_rep(db), "--at", NOW, "--limit", "4")
    with sqlite3.connect(db.removeprefix("sqlite:///")) as conn:
        assert conn.execute("select count(*) from action").fetchone()[0] == 4


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["digest", "--rep", "nobody@example.com"], "No rep with the email 'nobody@example.com'"),
        (["digest", "--rep", "x@example.com", "--at", "soon"], "'soon' is not a date or time"),
        (["import", "deals", "missing.csv"], "no file at missing.csv"),
        (["import", "deals", "x.csv", "--map", "Amount"], None),
        (["no-such-command"], "No such command 'no-such-command'"),
        (["model", "score", "opportunities", "--out", "x.csv"], "opportunities"),
    ],
)
def test_errors_are_one_clear_line_and_exit_2(db, capsys, argv, message):
    code, _, err = run(capsys, "--database-url", db, *argv)
    assert code == 2
    assert "Traceback" not in err
    assert err.startswith("error: ")
    if message:
        assert message in err


def test_bad_settings_stop_start_up_with_one_line(db, capsys, monkeypatch):
    monkeypatch.setenv("DEALBOT_PORT", "99999")
    code, _, err = run(capsys, "--database-url", db, "reps")
    assert code == 2
    assert err.strip().startswith("error: DEALBOT_PORT")
    assert len(err.strip().splitlines()) == 1


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


DEALS = """Opportunity ID,Opportunity Name,Account Name,Amount,Stage,Close Date,Created Date,Region
006A1,Acme EU,Acme,"$45,000.00",Proposal/Price Quote,12/15/2026,10/01/2026,EMEA
006A2,Globex renewal,Globex Inc,12k,Closed Won,11/01/2026,09/01/2026,NA
"""


def test_import_with_a_bad_row_writes_nothing_and_says_where(db, capsys, tmp_path):
    source = write(tmp_path / "deals.csv", DEALS)
    code, out, err = run(
        capsys, "--database-url", db, "import", "deals", str(source), "--preset", "salesforce"
    )
    assert code == 2
    assert "row 3, column 'Amount': '12k' is not an amount" in err
    assert "nothing was imported" in out
    with sqlite3.connect(db.removeprefix("sqlite:///")) as conn:
        assert conn.execute("select count(*) from deal").fetchone()[0] == 0
        assert conn.execute("select count(*) from account").fetchone()[0] == 0


def test_import_twice_changes_nothing_the_second_time(db, capsys, tmp_path):
    source = write(tmp_path / "deals.csv", DEALS.replace("12k", "12000"))
    args = ["--database-url", db, "import", "deals", str(source), "--preset", "salesforce"]
    code, out, _ = run(capsys, *args)
    assert code == 0 and "2 were created" in out
    code, out, _ = run(capsys, *args)
    assert code == 0 and "0 were created, 0 updated, 2 unchanged" in out


def test_model_train_and_score_write_a_checkable_csv(db, capsys, tmp_path):
    run(capsys, "--database-url", db, "seed", "--now", NOW)
    code, out, err = run(capsys, "--database-url", db, "model", "train")
    assert code == 0, err
    assert "deal model" in out and "lead model" in out
    target = tmp_path / "scores.csv"
    code, out, err = run(
        capsys, "--database-url", db, "model", "score", "deals", "--out", str(target), "--at", NOW
    )
    assert code == 0, err
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert rows and set(rows[0]) == {
        "id",
        "external_id",
        "probability",
        "expected_days",
        "expected_value",
    }
    assert all(0.0 <= float(r["probability"]) <= 1.0 for r in rows)
    with sqlite3.connect(db.removeprefix("sqlite:///")) as conn:
        open_deals = conn.execute("select count(*) from deal where status = 'open'").fetchone()[0]
    assert len(rows) == open_deals


def test_a_closed_deal_without_a_created_date_keeps_its_close_date(db, capsys, tmp_path):
    source = write(
        tmp_path / "closed.csv",
        "Opportunity ID,Opportunity Name,Account Name,Amount,Stage,Close Date\n"
        "006Z,Old win,Acme,1000,Closed Won,03/01/2025\n",
    )
    code, _, err = run(
        capsys, "--database-url", db, "import", "deals", str(source), "--preset", "salesforce"
    )
    assert code == 0, err
    with sqlite3.connect(db.removeprefix("sqlite:///")) as conn:
        created, closed = conn.execute("select created_at, closed_at from deal").fetchone()
        changes = conn.execute("select from_stage, to_stage from stage_change").fetchall()
    assert created.startswith("2025-03-01") and closed.startswith("2025-03-01")
    assert changes == [(None, "Won")]


def test_a_dry_run_with_bad_rows_says_it_would_refuse(db, capsys, tmp_path):
    source = write(tmp_path / "deals.csv", DEALS)
    argv = [
        "--database-url",
        db,
        "import",
        "deals",
        str(source),
        "--preset",
        "salesforce",
        "--dry-run",
    ]
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert "the import would be refused" in out and "'12k' is not an amount" in err


def test_settings_errors_name_the_variable_people_set(db, capsys, monkeypatch):
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "changeme")
    code, _, err = run(capsys, "--database-url", db, "reps")
    assert code == 2
    assert err.startswith("error: SLACK_SIGNING_SECRET holds a placeholder value")


def test_a_dataset_with_ids_an_outcome_and_no_dates_can_be_learned_from(db, capsys, tmp_path):
    """Public lead-scoring sets often carry only a number, attributes and a 0/1 outcome."""
    import random

    rng = random.Random(4)
    lines = ["Lead Number,Lead Origin,Owner,Converted"]
    for n in range(600):
        origin = rng.choice(["Form", "API", "Import"])
        converted = rng.random() < (0.7 if origin == "Form" else 0.2)
        lines.append(f"{1000 + n},{origin},Agent {n % 7},{int(converted)}")
    source = write(tmp_path / "leads.csv", "\n".join(lines) + "\n")
    argv = ["import", "leads", str(source), "--map", "Lead Number=external_id"]
    code, out, err = run(
        capsys, "--database-url", db, *argv, "--map", "Converted=converted", "--map", "Owner=owner"
    )
    assert code == 0, err
    with sqlite3.connect(db.removeprefix("sqlite:///")) as conn:
        statuses = dict(
            conn.execute("select status, count(*) from lead group by status").fetchall()
        )
        name, attributes = conn.execute(
            "select name, attributes from lead order by id limit 1"
        ).fetchone()
    assert set(statuses) == {"converted", "disqualified"}
    assert name == "Lead 1000" and '"owner": "Agent 0"' in attributes
    code, out, err = run(capsys, "--database-url", db, "model", "train")
    assert code == 0, err
    assert "holdout split by row order" in out
    lead_line = next(line for line in out.splitlines() if line.startswith("lead model"))
    assert "base_rate" not in lead_line


@pytest.fixture
def _logger_levels() -> Iterator[None]:
    """Put the loggers the CLI configures back as they were."""
    names = ("", "alembic", "apscheduler", "apscheduler.executors.default")
    kept = {name: logging.getLogger(name).level for name in names}
    yield
    for name, level in kept.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.usefixtures("_logger_levels")
@pytest.mark.parametrize(("level", "quiet"), [("INFO", logging.WARNING), ("DEBUG", logging.NOTSET)])
def test_the_schedulers_job_runs_are_logged_only_at_debug(
    db: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    level: str,
    quiet: int,
) -> None:
    monkeypatch.setenv("DEALBOT_LOG_LEVEL", level)
    assert run(capsys, "--database-url", db, "db", "upgrade")[0] == 0
    # "Running job ..." and "... executed successfully" come from apscheduler.executors.*
    assert logging.getLogger("apscheduler").level == quiet  # NOTSET: as everything else
    executors = logging.getLogger("apscheduler.executors.default")
    assert executors.isEnabledFor(logging.WARNING)
    if level == "INFO":  # at DEBUG the root logger decides, which the test runner also sets
        assert not executors.isEnabledFor(logging.INFO)
