"""Exactly once across a crash: look for a message in the platform before sending it a second time.

A worker can die (SIGKILL, a lost machine) after Slack took a message and before the row was
marked sent. The row stays in "sending" until its lease runs out; the next claim takes it over
and marks it `LEASE_LOST`. A send that ended in a dropped connection or a timeout is just as
unsure. Such a row is not sent again blind: the messenger is first asked whether the message is
already there (Slack: the channel's recent history, where every post carries its outbox key in
the message metadata). Found: the row is marked sent with where it landed. Not there: it is sent.
The check failing (rate limited, Slack down, too much history to search) puts the row back
still marked unsure, so the next try checks again; a check that keeps failing (not rate limited)
uses up the row's attempts and it goes dead rather than out twice. A platform that cannot check
(no such method, a missing scope) gets the send: at least once, never lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from bot.delivery.messenger import (
    Messenger,
    Outcome,
    PermanentFailure,
    RateLimited,
    Sent,
    TransientFailure,
)
from core.ports import OutboxItem
from storage.delivery import LEASE_LOST

log = logging.getLogger("dealbot.delivery")

CONNECTION_LOST = "connection:"
"""How a messenger's reason starts when the send's answer never arrived (see `bot.delivery.slack`)."""


@dataclass(frozen=True, slots=True)
class NotDelivered:
    """The platform has no trace of the message: sending it is safe."""


Lookup = Sent | NotDelivered | RateLimited | TransientFailure | PermanentFailure


class ChecksDelivery(Protocol):
    """A messenger that can tell whether a row's message already reached the platform."""

    async def look_up(self, item: OutboxItem) -> Lookup: ...


def outcome_unknown(item: OutboxItem) -> bool:
    """True when an earlier attempt may have been delivered without the row knowing it.

    Edits are left out: an edit applied twice shows the same text.
    """
    if item.edit_ref is not None or "edit_of" in item.payload:
        return False
    error = item.last_error or ""
    return error == LEASE_LOST or error.startswith(CONNECTION_LOST)


async def earlier_delivery(messenger: Messenger, item: OutboxItem) -> Outcome | None:
    """None: send the row. Sent: it is already there. RateLimited or TransientFailure: the check
    could not be made; try the row again later, still unsure."""
    look_up = getattr(messenger, "look_up", None)
    if look_up is None:
        return None
    try:
        found: Lookup = await look_up(item)
    except Exception:  # a messenger bug must not turn into a duplicate or a stuck row
        log.exception("outbox %s: looking for an earlier delivery failed", item.id)
        return TransientFailure("the delivery check raised")
    if isinstance(found, NotDelivered):
        return None
    if isinstance(found, PermanentFailure):
        log.warning(
            "outbox %s: cannot look for an earlier delivery (%s); sending again",
            item.id,
            found.reason,
        )
        return None
    if isinstance(found, Sent):
        log.info("outbox %s (%s) had already been delivered; marked sent", item.id, item.key)
    return found
