"""`dealbot import`: CRM exports into the database, all or nothing unless told otherwise."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from bot.cli import CliError, app, console, err_console
from bot.cli_commands import _services
from handlers.importing import ImportSummary, import_records

MAX_ERRORS_SHOWN = 30


class Kind(StrEnum):
    accounts = "accounts"
    contacts = "contacts"
    deals = "deals"
    leads = "leads"
    activities = "activities"


class Preset(StrEnum):
    salesforce = "salesforce"
    hubspot = "hubspot"
    pipedrive = "pipedrive"


def parse_column_map(pairs: list[str]) -> dict[str, str]:
    """`COLUMN=FIELD` pairs into a map; the column may itself contain spaces but not `=`."""
    column_map: dict[str, str] = {}
    for pair in pairs:
        column, sep, field = pair.rpartition("=")
        if not sep or not column.strip() or not field.strip():
            raise CliError(
                f"--map '{pair}' is not COLUMN=FIELD (for example --map 'Deal Size=amount')"
            )
        column_map[column.strip()] = field.strip()
    return column_map


@app.command("import")
def import_file(
    ctx: typer.Context,
    kind: Annotated[Kind, typer.Argument(help="What the file holds.")],
    file: Annotated[Path, typer.Argument(help="The CSV file.", show_default=False)],
    preset: Annotated[
        Preset | None, typer.Option(help="Column names of a CRM's standard export.")
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="COLUMN=FIELD; repeat it. FIELD '-' ignores the column."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and report; write nothing.")
    ] = False,
    skip_bad_rows: Annotated[
        bool, typer.Option("--skip-bad-rows", help="Import the good rows and report the bad ones.")
    ] = False,
) -> None:
    """Import accounts, contacts, deals, leads or activities from a CSV export."""
    if not file.is_file():
        raise CliError(f"no file at {file}")
    data = file.read_bytes()
    services = _services(ctx)
    with Progress(
        TextColumn("importing {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=len(data) < 200_000,
    ) as progress:
        task = progress.add_task(kind.value, total=None)
        summary = import_records(
            kind.value,
            data,
            preset=preset.value if preset else None,
            column_map=parse_column_map(map_ or []),
            dry_run=dry_run,
            skip_bad_rows=skip_bad_rows,
            uow_factory=services.uow_factory,
            pipeline=services.settings.pipeline,
            on_progress=lambda done, total: progress.update(task, completed=done, total=total),
            clock=services.clock,
        )
    _report(summary)
    if _refused(summary):
        raise typer.Exit(2)


def _refused(summary: ImportSummary) -> bool:
    """Bad rows without --skip-bad-rows: nothing is (or, in a dry run, would be) written."""
    return bool(summary.errors) and summary.skipped == 0 and summary.created + summary.updated == 0


def _report(summary: ImportSummary) -> None:
    refused = _refused(summary)
    if refused:
        outcome = "the import would be refused" if summary.dry_run else "nothing was imported"
        console.print(
            f"{summary.kind}: {summary.rows} rows, {len(summary.errors)} problem(s); {outcome}."
        )
    else:
        verb = "would be" if summary.dry_run else "were"
        console.print(
            f"{summary.kind}: {summary.rows} rows; {summary.created} {verb} created, "
            f"{summary.updated} updated, {summary.unchanged} unchanged, {summary.skipped} skipped"
            + (f"; {summary.accounts_created} new accounts" if summary.accounts_created else "")
        )
        for merge in summary.merges:
            console.print(f"  merged: {merge}")
    if summary.unresolved_owners:
        names = ", ".join(summary.unresolved_owners[:10])
        console.print(
            f"  {summary.rows_without_owner} rows name an owner who is not a rep: {names}"
        )
    for error in summary.errors[:MAX_ERRORS_SHOWN]:
        where = f"row {error.row}, column '{error.column}': " if error.row else ""
        err_console.print(f"  {where}{error.reason}", highlight=False, soft_wrap=True, markup=False)
    if len(summary.errors) > MAX_ERRORS_SHOWN:
        err_console.print(f"  ... and {len(summary.errors) - MAX_ERRORS_SHOWN} more problems")
    if refused and any(error.row for error in summary.errors):
        err_console.print(
            "Fix the rows above, or pass --skip-bad-rows to import the rest.", highlight=False
        )
