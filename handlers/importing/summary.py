"""What an import reports back to the admin who ran it."""

from __future__ import annotations

from dataclasses import dataclass

from core.csv_import import RowError

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What an import did (or, on a dry run, would do). Nothing is written when `errors` stop it."""

    kind: str
    dry_run: bool
    written: bool
    rows: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    accounts_created: int = 0
    merges: tuple[str, ...] = ()
    errors: tuple[RowError, ...] = ()
    unresolved_owners: tuple[str, ...] = ()
    rows_without_owner: int = 0
