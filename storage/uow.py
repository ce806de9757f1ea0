"""The SQL unit of work: one session, one transaction, the repositories on top."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core import ports
from storage.assignments import SqlAssignmentRepository
from storage.deals import SqlDealRepository
from storage.drafts import SqlDraftRepository
from storage.outbox import SqlIdempotencyKeys, SqlOutbox
from storage.records import SqlActionRepository, SqlAuditLog, SqlModelVersionRepository
from storage.repositories import (
    SqlAccountRepository,
    SqlActivityRepository,
    SqlContactRepository,
    SqlLeadRepository,
    SqlRepRepository,
    SqlSignalRepository,
    SqlTeamRepository,
)
from storage.teams_conversations import SqlTeamsConversations


class SqlUnitOfWork:
    """Use as `with SqlUnitOfWork(engine) as uow: ...; uow.commit()`; leaving without commit rolls back."""

    # Declared as the ports, so the unit of work satisfies `core.ports.UnitOfWork` exactly
    # (a protocol's settable attributes must match their declared types, not subtypes).
    reps: ports.RepRepository
    teams: ports.TeamRepository
    accounts: ports.AccountRepository
    contacts: ports.ContactRepository
    deals: ports.DealRepository
    leads: ports.LeadRepository
    activities: ports.ActivityRepository
    signals: ports.SignalRepository
    assignments: ports.AssignmentRepository
    actions: ports.ActionRepository
    model_versions: ports.ModelVersionRepository
    audit: ports.AuditLog
    outbox: ports.Outbox
    idempotency: ports.IdempotencyKeys
    teams_conversations: ports.TeamsConversations
    drafts: ports.DraftRepository

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> Self:
        self.session = Session(self.engine, expire_on_commit=False)
        self.reps = SqlRepRepository(self.session)
        self.teams = SqlTeamRepository(self.session)
        self.accounts = SqlAccountRepository(self.session)
        self.contacts = SqlContactRepository(self.session)
        self.deals = SqlDealRepository(self.session)
        self.leads = SqlLeadRepository(self.session)
        self.activities = SqlActivityRepository(self.session)
        self.signals = SqlSignalRepository(self.session)
        self.assignments = SqlAssignmentRepository(self.session)
        self.actions = SqlActionRepository(self.session)
        self.model_versions = SqlModelVersionRepository(self.session)
        self.audit = SqlAuditLog(self.session)
        self.outbox = SqlOutbox(self.session)
        self.idempotency = SqlIdempotencyKeys(self.session)
        self.teams_conversations = SqlTeamsConversations(self.session)
        self.drafts = SqlDraftRepository(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()


class UnitOfWorkFactory:
    """Callable that opens a fresh unit of work on the same engine; handlers receive this."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)
