"""What the delivery worker needs from a chat platform: send one outbox row, say how it went.

The outcome decides what happens to the row: `Sent` settles it, `RateLimited` pauses its channel
and tries again after Retry-After (not counted as an attempt: nothing was wrong with the row),
`TransientFailure` retries with backoff until the attempts run out, `PermanentFailure` (unknown
channel, revoked token, no such user) goes straight to the dead letters, where a person can look.
Reasons are short codes such as `channel_not_found` or `HTTP 503`: they end up in the outbox
table and the CLI, so they must never carry the message text (it holds customer names).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from core.ports import OutboxItem


@dataclass(frozen=True, slots=True)
class Sent:
    reference: str | None = None
    """Where it landed, e.g. `D123/1700000000.000100` (channel/ts), for logs."""


@dataclass(frozen=True, slots=True)
class RateLimited:
    retry_after: float
    """Seconds the platform asked us to wait (Slack's Retry-After header)."""


@dataclass(frozen=True, slots=True)
class TransientFailure:
    reason: str


@dataclass(frozen=True, slots=True)
class PermanentFailure:
    reason: str


Outcome = Sent | RateLimited | TransientFailure | PermanentFailure

DEFAULT_RETRY_AFTER = 1.0


def retry_after_of(headers: Any) -> float:
    """Seconds from a Retry-After header (any letter case); 1 s when absent or unreadable."""
    for name, value in dict(headers or {}).items():
        if str(name).lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                return DEFAULT_RETRY_AFTER
    return DEFAULT_RETRY_AFTER


class Messenger(Protocol):
    """One platform's way out. Implementations never raise for a failed send; they return it."""

    async def send(self, item: OutboxItem) -> Outcome: ...

    async def aclose(self) -> None:
        """Release connections; the worker calls it when it stops."""
        ...


# A messenger may also have `async def gave_up(self, item: OutboxItem, reason: str) -> None`:
# the worker calls it once a row of its platform is stored in the dead letters, whichever way
# it got there (a refusal, the attempts used up, leases lost), to tell someone.
