"""One import's working state: tallies, and owners and accounts resolved once per run."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from core.csv_import import ParsedFile, RowError
from core.csv_import.merging import merge
from core.csv_import.records import AccountRef
from core.identity import normalise_email
from core.model import Account
from core.ports import UnitOfWork
from core.stages import Pipeline
from handlers.importing.summary import CREATED, UNCHANGED, UPDATED, ImportSummary


class Repository(Protocol):
    def add(self, value: Any) -> Any: ...
    def update(self, value: Any) -> Any: ...


@dataclass
class ImportRun:
    """The state of one import inside its unit of work: tallies and resolved references."""

    uow: UnitOfWork
    pipeline: Pipeline
    now: datetime
    outcomes: Counter[str] = field(default_factory=Counter)
    merged_by: Counter[str] = field(default_factory=Counter)
    errors: list[RowError] = field(default_factory=list)
    accounts_created: int = 0
    owners: dict[str, int | None] = field(default_factory=dict)
    rows_without_owner: int = 0
    accounts: dict[AccountRef, int | None] = field(default_factory=dict)

    def summary(
        self, parsed: ParsedFile, rows: int, *, dry_run: bool, written: bool, skip_bad_rows: bool
    ) -> ImportSummary:
        errors = (*parsed.errors, *self.errors)
        kind = str(parsed.kind)
        if not skip_bad_rows and self.errors:
            return ImportSummary(kind, dry_run, False, rows, errors=tuple(errors))
        merges = tuple(f"{n} {kind} merged by {key}" for key, n in sorted(self.merged_by.items()))
        unresolved = tuple(sorted(text for text, rep in self.owners.items() if rep is None))
        return ImportSummary(
            kind,
            dry_run,
            written,
            rows,
            created=self.outcomes[CREATED],
            updated=self.outcomes[UPDATED],
            unchanged=self.outcomes[UNCHANGED],
            skipped=len({error.row for error in errors}),
            accounts_created=self.accounts_created,
            merges=merges,
            errors=tuple(errors),
            unresolved_owners=unresolved,
            rows_without_owner=self.rows_without_owner,
        )

    def save(
        self, repository: Repository, existing: Any, new: Any, incoming: dict[str, Any]
    ) -> str:
        """Add `new`, or merge `incoming` into `existing`; which of the three happened."""
        if existing is None:
            repository.add(new)
            return CREATED
        merged = merge(existing, incoming)
        if merged == existing:
            return UNCHANGED
        repository.update(merged)
        return UPDATED

    def owner_id(self, owner: str | None) -> int | None:
        """The rep an owner column names, by email and else by name; None (and noted) if unknown."""
        if not owner:
            return None
        key = " ".join(owner.split())
        if key not in self.owners:
            self.owners[key] = self._find_rep(key)
        if self.owners[key] is None:
            self.rows_without_owner += 1
        return self.owners[key]

    def _find_rep(self, owner: str) -> int | None:
        email = normalise_email(owner)
        if email is not None:
            rep = self.uow.reps.by_email(email)
            return rep.id if rep else None
        wanted = owner.casefold()
        reps = self.uow.reps.list(active_only=False)
        named = (rep.id for rep in reps if " ".join(rep.name.split()).casefold() == wanted)
        return next(named, None)

    def account_id(self, ref: AccountRef) -> int | None:
        """The account a row refers to; one is created when the row names it and none matches."""
        if not ref:
            return None
        if ref not in self.accounts:
            found, _ = self.find_account(ref.external_id, ref.domain, ref.name)
            if found is None and ref.name:
                new = Account(name=ref.name, external_id=ref.external_id, domain=ref.domain)
                found = self.uow.accounts.add(new)
                self.accounts_created += 1
            self.accounts[ref] = found.id if found else None
        return self.accounts[ref]

    def find_account(
        self, external_id: str | None, domain: str | None, name: str | None
    ) -> tuple[Account | None, str | None]:
        for key, value in (("external id", external_id), ("domain", domain), ("name", name)):
            if value:
                found = self.uow.accounts.find(**{key.replace(" ", "_"): value})
                if found is not None:
                    return found, key
        return None, None

    def note_match(self, matched_by: str | None) -> None:
        if matched_by in ("email", "domain", "name"):
            self.merged_by[matched_by] += 1
