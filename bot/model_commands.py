"""`dealbot model train`, `dealbot model score` and `dealbot model report`."""

from __future__ import annotations

import csv
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from bot.cli import CliError, app, console, parse_when
from bot.cli_commands import _services
from bot.learning.model import load_model
from bot.nightly import retrain
from bot.services import Services
from core.ports import ProbabilityModel
from handlers.model_promotion import VersionLine, model_report
from handlers.models import SCORE_COLUMNS, score_records

model_app = typer.Typer(
    help="Train and check the win-probability and lead models.", no_args_is_help=True
)
app.add_typer(model_app, name="model")


class ScoreKind(StrEnum):
    deals = "deals"
    leads = "leads"


def train_and_report(services: Services) -> None:
    done = retrain(services)
    for line in done.report.lines():
        console.print(line, highlight=False)
    kinds = sorted(done.effects.by_kind.values(), key=lambda e: e.kind.value)
    console.print(
        f"action multipliers v{done.effects_version}: "
        + (", ".join(f"{e.kind.value} x{e.multiplier:.2f}" for e in kinds) or "no history yet"),
        highlight=False,
    )


@model_app.command("train")
def train(ctx: typer.Context) -> None:
    """Retrain both models from the database; print holdout metrics, what mattered and whether
    each new version went live (it must not be worse than the live one on the newest outcomes)."""
    train_and_report(_services(ctx))


def _stored_model(blob: bytes) -> ProbabilityModel[Any]:
    try:
        return load_model(blob)
    except Exception:  # an older format or a broken write: say what to do, not how it broke
        raise CliError(
            "the stored model cannot be loaded; run `dealbot model train` first"
        ) from None


@model_app.command("score")
def score(
    ctx: typer.Context,
    kind: Annotated[ScoreKind, typer.Argument(help="Score open deals or open leads.")],
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.", show_default=False)],
    at: Annotated[
        str | None, typer.Option("--at", help="As of this moment (ISO); default now.")
    ] = None,
) -> None:
    """Write one row per open record with its probability (deals: expected days and value too)."""
    if out.parent and not out.parent.exists():
        raise CliError(f"folder {out.parent} does not exist")
    services = _services(ctx)
    rows = score_records(
        kind.value,
        services.uow_factory,
        _stored_model,
        parse_when(at),
        pipeline=services.settings.pipeline,
    )
    columns = SCORE_COLUMNS if kind is ScoreKind.deals else SCORE_COLUMNS[:3]
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(row.as_csv()[: len(columns)])
    console.print(f"Wrote {len(rows)} {kind.value} to {out}")


@model_app.command("report")
def report(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Stored versions per kind: trained when, examples, AUC, Brier, promoted or not and why,
    and which one is live."""
    services = _services(ctx)
    lines = model_report(services.uow_factory)
    if as_json:
        typer.echo(json.dumps([line.to_dict() for line in lines], indent=2))
        return
    if not lines:
        console.print("No model versions yet; run `dealbot model train`.")
        return
    for line in lines:
        console.print(_version_text(line), highlight=False, soft_wrap=True)


def _version_text(line: VersionLine) -> str:
    """One version on one line: `deal v7 (live) 2026-11-23 02:00 UTC, logistic_regression, ...`."""
    figures = [
        f"{line.examples} examples" if line.examples is not None else None,
        f"AUC {line.auc:.3f}" if line.auc is not None else None,
        f"Brier {line.brier:.4f}" if line.brier is not None else None,
    ]
    decision = ("promoted: " if line.promoted else "rejected: ") + line.reason
    head = f"{line.kind} v{line.id}{' (live)' if line.live else ''}"
    parts = [f"{line.trained_at:%Y-%m-%d %H:%M} UTC", line.model, *filter(None, figures), decision]
    return escape(f"{head}: " + ", ".join(parts))
