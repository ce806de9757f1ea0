"""`dealbot model train` and `dealbot model score`."""

from __future__ import annotations

import csv
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli import CliError, app, console, parse_when
from bot.cli_commands import _services
from bot.learning.model import load_model
from bot.learning.trainer import SklearnTrainer
from bot.services import Services
from core.ports import ProbabilityModel
from handlers.models import SCORE_COLUMNS, score_records, train_models

model_app = typer.Typer(
    help="Train and check the win-probability and lead models.", no_args_is_help=True
)
app.add_typer(model_app, name="model")


class ScoreKind(StrEnum):
    deals = "deals"
    leads = "leads"


def train_and_report(services: Services) -> None:
    report = train_models(
        services.uow_factory, SklearnTrainer(), services.clock, pipeline=services.settings.pipeline
    )
    for line in report.lines():
        console.print(line, highlight=False)


@model_app.command("train")
def train(ctx: typer.Context) -> None:
    """Retrain both models from the database; print holdout metrics and what mattered."""
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
