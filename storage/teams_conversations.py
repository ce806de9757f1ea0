"""Where the bot may write in Microsoft Teams: conversation references by key.

A reference is saved on every install and message, so the newest one wins, keeping the team and
channel names an install told when a later message does not; a person seen only in a channel is
saved without replacing the chat they may already have with the bot.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import Table, delete, func, select, update
from sqlmodel import Session

from core.ports import TeamsConversation
from storage.outbox import insert_unless_present
from storage.tables import TeamsConversationRow

CONVERSATIONS: Table = TeamsConversationRow.__table__  # type: ignore[attr-defined]
CHANNEL_PREFIX = "channel:"


class SqlTeamsConversations:
    def __init__(self, session: Session) -> None:
        self.session = session

    def save(self, conversation: TeamsConversation, *, replace: bool = True) -> None:
        values = asdict(conversation)
        if insert_unless_present(self.session, CONVERSATIONS, values) or not replace:
            return
        kept = {name: value for name, value in values.items() if value is not None}
        statement = (
            update(CONVERSATIONS).where(CONVERSATIONS.c.key == conversation.key).values(kept)
        )
        self.session.connection().execute(statement)

    def get(self, key: str) -> TeamsConversation | None:
        query = select(CONVERSATIONS).where(CONVERSATIONS.c.key == key)
        row = self.session.connection().execute(query).first()
        return _conversation(row) if row is not None else None

    def forget(self, key: str) -> None:
        self.session.connection().execute(delete(CONVERSATIONS).where(CONVERSATIONS.c.key == key))

    def channels(self) -> list[TeamsConversation]:
        query = (
            select(CONVERSATIONS)
            .where(CONVERSATIONS.c.key.startswith(CHANNEL_PREFIX, autoescape=True))
            .order_by(
                func.coalesce(CONVERSATIONS.c.team_name, ""),
                func.coalesce(CONVERSATIONS.c.channel_name, ""),
                CONVERSATIONS.c.key,
            )
        )
        return [_conversation(row) for row in self.session.connection().execute(query)]


def _conversation(row: Any) -> TeamsConversation:
    return TeamsConversation(
        key=row.key,
        reference=dict(row.reference or {}),
        updated_at=row.updated_at,
        tenant_id=row.tenant_id,
        team_name=row.team_name,
        channel_name=row.channel_name,
    )
