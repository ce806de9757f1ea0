"""Idempotency keys are kept for a while, then forgotten, a chunk per transaction.

Every webhook delivery, Slack event and button press leaves a key, so the table would grow
without end. A key only has to outlive its sender's retries: Slack retries an event within
minutes, and lead sources retry a webhook for hours or a few days, so keys older than the
retention (30 days by default) can go. Each chunk is its own short transaction, so intake and
delivery keep their turns on SQLite's one writer while a large backlog is forgotten.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from core.ports import UnitOfWork

CHUNK = 2000


def forget_old_keys(
    uow_factory: Callable[[], UnitOfWork], *, at: datetime, keep_days: int, chunk: int = CHUNK
) -> int:
    """Forget every key first seen more than `keep_days` before `at`; how many were forgotten."""
    before = at - timedelta(days=keep_days)
    forgotten = 0
    while True:
        with uow_factory() as uow:
            gone = uow.idempotency.forget_before(before, limit=chunk)
            uow.commit()
        forgotten += gone
        if gone < chunk:
            return forgotten
