"""The import command: parse everything first, then store it all in one unit of work."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from core.csv_import import CsvFileError, ParsedFile, RecordKind, RowError, parse_file
from core.ports import Clock, UnitOfWork
from core.stages import Pipeline
from handlers.importing.run import ImportRun
from handlers.importing.storing import STORE
from handlers.importing.summary import ImportSummary


class _SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def import_records(
    kind: RecordKind | str,
    data: bytes,
    *,
    preset: str | None,
    column_map: Mapping[str, str] | None,
    dry_run: bool,
    skip_bad_rows: bool,
    uow_factory: Callable[[], UnitOfWork],
    pipeline: Pipeline,
    on_progress: Callable[[int, int], None] | None = None,
    clock: Clock | None = None,
) -> ImportSummary:
    """Read the export, then create or merge its records; bad rows stop it unless skipped."""
    kind = RecordKind(kind)
    try:
        parsed = parse_file(kind, data, preset=preset, column_map=column_map, pipeline=pipeline)
    except CsvFileError as error:
        return ImportSummary(str(kind), dry_run, False, 0, errors=(RowError(0, "", str(error)),))
    rows = len(parsed.records) + parsed.bad_rows
    if parsed.errors and not skip_bad_rows:
        return ImportSummary(str(kind), dry_run, False, rows, errors=parsed.errors)
    with uow_factory() as uow:
        run = ImportRun(uow, pipeline, (clock or _SystemClock()).now())
        _store_all(run, parsed, on_progress)
        keep = not dry_run and (skip_bad_rows or not run.errors)
        if keep:
            uow.commit()
        else:
            uow.rollback()
    return run.summary(parsed, rows, dry_run=dry_run, written=keep, skip_bad_rows=skip_bad_rows)


def _store_all(
    run: ImportRun, parsed: ParsedFile, on_progress: Callable[[int, int], None] | None
) -> None:
    total = len(parsed.records)
    for done, record in enumerate(parsed.records, start=1):
        outcome = STORE[parsed.kind](run, record)
        if outcome is not None:
            run.outcomes[outcome] += 1
        if on_progress is not None:
            on_progress(done, total)
