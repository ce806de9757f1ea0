"""Chat users -> reps: matched by email once, then remembered by their platform user id."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from core.identity import normalise_email
from core.ports import Clock, UnitOfWork

PLATFORM_FIELDS = {"slack": "slack_user_id", "teams": "teams_user_id"}


def link_chat_user(
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    platform: str,
    user_id: str,
    email: str | None,
) -> int | None:
    """The rep id for a chat user, linking by `email` the first time; None when not a rep."""
    field = PLATFORM_FIELDS[platform]
    with uow_factory() as uow:
        rep = uow.reps.by_chat_id(platform, user_id)
        if rep is not None:
            return rep.id if rep.active else None
        key = normalise_email(email) if email else None
        rep = uow.reps.by_email(key) if key else None
        if rep is None or not rep.active:
            return None
        before = getattr(rep, field)
        linked = (
            dataclasses.replace(rep, slack_user_id=user_id)
            if platform == "slack"
            else dataclasses.replace(rep, teams_user_id=user_id)
        )
        uow.reps.update(linked)
        uow.audit.record(
            actor=f"{platform}:{user_id}",
            action="rep.link",
            subject=f"rep:{rep.id}",
            before={field: before},
            after={field: user_id},
            at=clock.now(),
        )
        uow.commit()
        return rep.id
