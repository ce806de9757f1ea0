"""The sales pipeline: ordered open stages, then Won or Lost."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.model import DealStatus

DEFAULT_OPEN_STAGES = ("Prospecting", "Qualification", "Demo", "Proposal", "Negotiation")
WON = "Won"
LOST = "Lost"

# Names CRMs use for their closing stages, and for open stages that mean the same as ours.
_DEFAULT_ALIASES = {
    "closed won": WON,
    "closedwon": WON,
    "won": WON,
    "closed lost": LOST,
    "closedlost": LOST,
    "lost": LOST,
    "appointment scheduled": "Qualification",
    "qualified to buy": "Qualification",
    "presentation scheduled": "Demo",
    "decision maker bought in": "Proposal",
    "contract sent": "Negotiation",
    "needs analysis": "Qualification",
    "value proposition": "Qualification",
    "id. decision makers": "Demo",
    "perception analysis": "Demo",
    "proposal/price quote": "Proposal",
    "negotiation/review": "Negotiation",
    "lead in": "Prospecting",
    "contact made": "Qualification",
    "demo scheduled": "Demo",
    "proposal made": "Proposal",
    "negotiations started": "Negotiation",
    "engaging": "Qualification",
    "qualified": "Qualification",
}


def _key(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().lower())


@dataclass(frozen=True, slots=True)
class Pipeline:
    """Configurable open stages in order; `Won` and `Lost` close a deal."""

    open_stages: tuple[str, ...] = DEFAULT_OPEN_STAGES
    aliases: dict[str, str] = field(default_factory=lambda: dict(_DEFAULT_ALIASES))

    @property
    def all_stages(self) -> tuple[str, ...]:
        return (*self.open_stages, WON, LOST)

    def canonical(self, name: str) -> str | None:
        """The pipeline's own name for a stage written any common way, or None when unknown."""
        if name in self.open_stages or name in (WON, LOST):
            return name  # the stored form: by far the most common call, on the ranking's hot path
        key = _key(name)
        for stage in self.all_stages:
            if _key(stage) == key:
                return stage
        alias = self.aliases.get(key)
        return alias if alias in self.all_stages else None

    def status_of(self, stage: str) -> DealStatus:
        if stage == WON:
            return DealStatus.WON
        if stage == LOST:
            return DealStatus.LOST
        return DealStatus.OPEN

    def index(self, stage: str) -> int:
        """Position of an open stage (0-based); closed stages sort after every open one."""
        if stage in self.open_stages:
            return self.open_stages.index(stage)
        return len(self.open_stages)

    def next_stages(self, stage: str) -> tuple[str, ...]:
        """Stages a deal can move to from `stage`: any later open stage, Won or Lost."""
        if stage not in self.open_stages:
            return ()
        later = self.open_stages[self.open_stages.index(stage) + 1 :]
        return (*later, WON, LOST)
