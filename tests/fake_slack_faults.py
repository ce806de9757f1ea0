"""What the fake Slack Web API answers instead of the real thing: planned failures, random
faults, and a held answer (see tests/fake_slack.py)."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Failure:
    status: int
    retry_after: float | None
    error: str | None
    times: int | None = None
    """Calls left to fail; None for every call (or, with `rate`, a share of them)."""
    rate: float | None = None
    rng: random.Random = field(default_factory=random.Random)
    match: dict[str, Any] = field(default_factory=dict)
    """Only calls whose params hold these values (e.g. {"channel": "C404"})."""

    def applies(self, params: dict[str, Any]) -> bool:
        return all(params.get(name) == value for name, value in self.match.items())

    def fires(self) -> bool:
        if self.rate is not None:
            return self.rng.random() < self.rate
        if self.times is None:
            return True
        if self.times <= 0:
            return False
        self.times -= 1
        return True


@dataclass
class Faults:
    rate: float
    rng: random.Random
    retry_after: float


@dataclass
class Hold:
    token: str
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
