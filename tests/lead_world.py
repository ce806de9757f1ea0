"""A small sales team for the lead desk's tests: a team with an alert channel, reps, an account.

Monday 2026-11-23 14:00 UTC: Ana (Berlin, 15:00) and Ben (London, 14:00) are at work, Kai
(Tokyo, 23:00) is not. Mia manages the team. Acme (acme.com) belongs to Ana.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.model import Account, Rep, Role, Team
from handlers.lead_desk import DeskDeps, DeskPolicy
from storage.db import create_engine_for, create_schema
from storage.uow import UnitOfWorkFactory

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
CHANNEL = "C0LEADS"


class FixedClock:
    def __init__(self, now: datetime = NOW) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


@dataclass
class Team1:
    team: int
    mia: int
    ana: int
    ben: int
    kai: int
    acme: int


def seed_team(factory: UnitOfWorkFactory, *, channel: str | None = CHANNEL) -> Team1:
    with factory() as uow:
        team = uow.teams.add(Team(name="Sales", alert_channel=channel))
        mia = uow.reps.add(
            Rep(email="mia@example.com", name="Mia Manager", role=Role.MANAGER, team_id=team.id,
                slack_user_id="UMIA")
        )  # fmt: skip

        def rep(email: str, name: str, zone: str, slack: str) -> Rep:
            return uow.reps.add(
                Rep(email=email, name=name, time_zone=zone, team_id=team.id, manager_id=mia.id,
                    slack_user_id=slack)
            )  # fmt: skip

        ana = rep("ana@example.com", "Ana Lopez", "Europe/Berlin", "UANA")
        ben = rep("ben@example.com", "Ben Okafor", "Europe/London", "UBEN")
        kai = rep("kai@example.com", "Kai Sato", "Asia/Tokyo", "UKAI")
        acme = uow.accounts.add(Account(name="Acme", domain="acme.com", owner_id=ana.id))
        uow.commit()
    return Team1(team.id or 0, mia.id or 0, ana.id or 0, ben.id or 0, kai.id or 0, acme.id or 0)


def desk_for(url: str, policy: DeskPolicy | None = None) -> tuple[DeskDeps, FixedClock, Team1]:
    engine = create_engine_for(url)
    create_schema(engine)
    factory = UnitOfWorkFactory(engine)
    seeded = seed_team(factory)
    clock = FixedClock()
    deps = DeskDeps(uow_factory=factory, clock=clock, policy=policy or DeskPolicy())
    return deps, clock, seeded


def meanwhile_after_due_read(deps: DeskDeps, meanwhile: Callable[[], object]) -> DeskDeps:
    """`deps` whose sweep runs `meanwhile` (and whatever it commits) just after reading the due
    clocks, before moving any: a rival sweep, a reassignment on another connection."""

    class MeanwhileAfterRead:
        def __init__(self) -> None:
            self.inner = deps.uow_factory()

        def __enter__(self) -> Any:
            uow = self.inner.__enter__()
            read = uow.leads.clocks_due

            def clocks_due(at: datetime, *, limit: int) -> Any:
                due = read(at, limit=limit)
                meanwhile()
                return due

            uow.leads.clocks_due = clocks_due
            return uow

        def __exit__(self, *exc: object) -> Any:
            return self.inner.__exit__(*exc)

    return DeskDeps(uow_factory=MeanwhileAfterRead, clock=deps.clock, policy=deps.policy)
