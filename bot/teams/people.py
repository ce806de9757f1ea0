"""Teams users -> reps: by Microsoft Entra object id once linked, else by the email on their profile.

The first time someone uses dealbot, their Teams profile is read from the Bot Connector
(`TeamsInfo.get_member`) and matched to a rep by email (or by user principal name, which is the
sign-in address); the object id is then stored on the rep, as a Slack user id is.
"""

from __future__ import annotations

import asyncio
import logging

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema.teams import TeamsChannelAccount

from bot.services import Services
from core.messages import Choice
from handlers.chat_identity import link_chat_user
from handlers.log_form import owner_choices

log = logging.getLogger(__name__)
PLATFORM = "teams"


class TeamsPeople:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def actor(self, context: TurnContext) -> int | None:
        """The rep who sent this activity, or None for someone who is not a rep."""
        user = context.activity.from_property
        if user is None or not user.id:
            return None
        object_id = user.aad_object_id
        if object_id:
            known = await self._link(object_id, None)
            if known is not None:
                return known
        member = await self.member(context, user.id)
        if member is None:
            return None
        object_id = object_id or member.aad_object_id
        email = member.email or _address(member.user_principal_name)
        if not object_id or not email:
            return None
        return await self._link(object_id, email)

    async def member(self, context: TurnContext, user_id: str) -> TeamsChannelAccount | None:
        try:
            return await TeamsInfo.get_member(context, user_id)
        except Exception as error:  # the connector refused or is away: treat as unknown, say why
            log.warning("Teams member lookup failed: %s", type(error).__name__)
            return None

    def owner_choices(self, actor_id: int) -> tuple[Choice, ...]:
        """Whom the actor may give a next action to: themselves and, for managers, their team."""
        with self.services.uow_factory() as uow:
            return owner_choices(uow, actor_id)

    async def _link(self, object_id: str, email: str | None) -> int | None:
        services = self.services
        return await asyncio.to_thread(
            link_chat_user, services.uow_factory, services.clock, PLATFORM, object_id, email
        )


def _address(principal_name: str | None) -> str | None:
    return principal_name if principal_name and "@" in principal_name else None
