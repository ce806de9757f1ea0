"""What the lead handlers need: the policies from the lead desk's configuration, and the ports.

Intake, the buttons on a lead alert and the SLA sweep all score, route and time leads with the
same `DeskPolicy`; `bot/` builds it from the configuration file (or the defaults) once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Concatenate, TypeVar

from core.facts import LeadFacts
from core.lead_scoring import ScoringPolicy
from core.ports import Clock, UnitOfWork
from core.routing import RoutingPolicy
from core.sla import SlaPolicy
from handlers.directory import Desk
from handlers.targets import Destinations

ALL_TIERS = frozenset({"hot", "warm", "cold"})


@dataclass(frozen=True, slots=True)
class DeskPolicy:
    scoring: ScoringPolicy = field(default_factory=ScoringPolicy)
    routing: RoutingPolicy = field(default_factory=RoutingPolicy)
    sla: SlaPolicy = field(default_factory=SlaPolicy)
    channel_tiers: frozenset[str] = ALL_TIERS
    """Tiers announced in the team channel; the owner gets a DM for every tier."""
    default_team: str | None = None
    """The team (by name) whose channel hears about leads nobody could take; else the first team."""
    clock_tiers: frozenset[str] = ALL_TIERS
    """Tiers whose leads get a response clock."""
    destinations: Destinations = field(default_factory=Destinations)
    """Where alerts, reminders and breaches go (the people's chat platforms, or the emulator)."""

    def __post_init__(self) -> None:
        unknown = (self.channel_tiers | self.clock_tiers) - ALL_TIERS
        if unknown:
            raise ValueError(f"unknown tiers {sorted(unknown)}: use hot, warm and cold")


LeadFit = Callable[[LeadFacts], float]
"""p(convert) of one lead from the learned lead model."""


def no_learned_fit() -> LeadFit | None:
    """No learned lead model: fit comes from the configured rules."""
    return None


@dataclass(frozen=True, slots=True)
class DeskDeps:
    uow_factory: Callable[[], UnitOfWork]
    clock: Clock
    policy: DeskPolicy = field(default_factory=DeskPolicy)
    learned_fit: Callable[[], LeadFit | None] = no_learned_fit
    """The learned lead model's p(convert), or None while there is too little history for one."""
    surface: str = "webhook"
    directory: Callable[[UnitOfWork], Desk] = field(default=Desk.read)
    """The reps and teams (a fresh read by default; the app keeps a copy for a few seconds)."""


T = TypeVar("T")
Take = Callable[Concatenate[UnitOfWork, "DeskDeps", Callable[[], Desk], ...], T]
"""A handler's work inside a transaction it is given: the unit of work, the deps, and the desk
(read when first asked for, then the same for the whole transaction)."""


def committed(deps: DeskDeps, take: Take[T], *args: Any) -> T:
    """`take(uow, deps, desk_of, *args)` in a transaction of its own, committed."""
    with deps.uow_factory() as uow:
        result = take(uow, deps, functools.cache(lambda: deps.directory(uow)), *args)
        uow.commit()
    return result
