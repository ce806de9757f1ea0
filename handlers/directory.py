"""The reps and teams a lead handler works with, and their loads, each read once per call."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from core.model import Lead, Rep, Team
from core.ports import UnitOfWork
from core.routing import RepLoad, RoutingPolicy
from handlers.load_ledger import LoadLedger
from handlers.load_windows import rep_loads


@dataclass(frozen=True, slots=True)
class Desk:
    """The reps, teams and rep loads one handler call works with, each read once."""

    reps: dict[int, Rep]
    teams: dict[int, Team]
    active: tuple[Rep, ...]
    """The active reps, in the order of `reps`."""
    ledger: LoadLedger | None = None
    """The process's loads between calls; None counts them from the history on every call."""
    _loads: dict[str, dict[int, RepLoad]] = field(default_factory=dict)
    _wrote: list[bool] = field(default_factory=list)

    @classmethod
    def read(cls, uow: UnitOfWork) -> Desk:
        reps = {r.id: r for r in uow.reps.list(active_only=False) if r.id is not None}
        teams = {t.id: t for t in uow.teams.list() if t.id is not None}
        return cls(reps, teams, tuple(r for r in reps.values() if r.active))

    def loads(self, uow: UnitOfWork, routing: RoutingPolicy, at: datetime) -> dict[int, RepLoad]:
        """Active reps' loads as of `at`, from the assignment history (once per call)."""
        if "now" not in self._loads:
            if self.ledger is None:
                self._loads["now"] = rep_loads(uow, self.active, routing, at)
            else:
                advance = not self._wrote
                self._loads["now"] = self.ledger.loads(
                    uow, self.active, routing, at, advance=advance
                )
        return self._loads["now"]

    def forget_loads(self) -> None:
        """After an assignment: the next question about loads reads them again."""
        self._loads.clear()
        self._wrote.append(True)

    def rep(self, rep_id: int | None) -> Rep | None:
        return self.reps.get(rep_id) if rep_id is not None else None

    def name(self, rep_id: int | None) -> str | None:
        rep = self.rep(rep_id)
        return rep.name if rep else None

    def team_for(self, lead: Lead, default_team: str | None) -> Team | None:
        """The lead's team, else the configured default team, else the first team with a channel."""
        if lead.team_id in self.teams:
            return self.teams[lead.team_id]
        named = [t for t in self.teams.values() if t.name == default_team]
        with_channel = [t for t in self.teams.values() if t.alert_channel]
        return (named or with_channel or [None])[0]


class CachedDirectory:
    """The rep directory kept for a few seconds, for intake at hundreds of leads a second.

    Reading every rep for every lead costs more than routing it. A copy a few seconds old is
    safe: a rep who just went out of office or changed hours is routed by the new settings
    within `seconds`. Loads come from the assignment history, counted by a `LoadLedger`.
    """

    def __init__(
        self, seconds: float, monotonic: Callable[[], float], ledger: LoadLedger | None = None
    ) -> None:
        self.seconds, self.monotonic = seconds, monotonic
        self.ledger = ledger
        self._lock = threading.Lock()
        self._copy: tuple[float, Desk] | None = None

    def __call__(self, uow: UnitOfWork) -> Desk:
        with self._lock:
            now = self.monotonic()
            if self._copy is None or now - self._copy[0] > self.seconds:
                self._copy = (now, Desk.read(uow))
            copy = self._copy[1]
        # Its own load cache (loads are per call); the same active reps while the copy lasts,
        # so the ledger can tell at a glance that they have not changed.
        return Desk(copy.reps, copy.teams, copy.active, self.ledger)
