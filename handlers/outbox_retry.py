"""Dead outbox messages sent again: `dealbot outbox retry` and the dashboard's Retry button.

Both surfaces call `retry_dead_messages`, so a revival is audited the same way wherever it was
asked for, and the revival and its audit entries are one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from core.ports import UnitOfWork


def retry_dead_messages(
    uow_factory: Callable[[], UnitOfWork],
    ids: Sequence[int] | None,
    *,
    actor: str,
    at: datetime,
) -> list[int]:
    """Dead messages (these ids, or every one when None) back to pending, each in the audit log;
    the ids revived (ids that are not dead are left alone)."""
    with uow_factory() as uow:
        revived = uow.outbox.revive(ids, at=at)
        for item_id in revived:
            uow.audit.record(
                actor=actor,
                action="outbox.retry",
                subject=f"outbox:{item_id}",
                before={"status": "dead"},
                after={"status": "pending"},
                at=at,
            )
        uow.commit()
    return revived
