"""Which conversation references an activity gives, and a stored one back as botbuilder's.

Every install and every message saves what it shows, so proactive messages can follow:
- a person's chat with the bot: `user:<Entra object id>`;
- a team channel: `channel:<channel id>` (not the thread a message arrived in), with the team's
  and the channel's names for `dealbot teams channels`;
- a person seen in a channel or group chat: `user:<object id>` without a conversation, unless one
  is already stored. The sender creates their chat from it on first use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationParameters,
    ConversationReference,
)
from botframework.connector.aio import ConnectorClient

from core.ports import TeamsConversation
from handlers.targets import teams_channel_key, teams_user_key

PERSONAL = "personal"
CHANNEL = "channel"
GENERAL = "General"


@dataclass(frozen=True, slots=True)
class Sighting:
    conversation: TeamsConversation
    replace: bool
    """False for a person seen outside their own chat: never overwrite the chat itself."""


def sightings(activity: Activity, at: datetime) -> list[Sighting]:
    """What this activity tells about where the bot may write later."""
    if activity.conversation is None or activity.service_url is None:
        return []
    reference = TurnContext.get_conversation_reference(activity).serialize()
    reference.pop("activityId", None)
    data = channel_data(activity)
    tenant = tenant_of(activity)
    user = activity.from_property
    object_id = getattr(user, "aad_object_id", None) if user is not None else None
    kind = activity.conversation.conversation_type
    if personal(activity.conversation):
        if not object_id:
            return []
        return [Sighting(_conversation(teams_user_key(object_id), reference, at, tenant), True)]
    found: list[Sighting] = []
    channel = _id(data.get("channel")) or _id(data.get("team"))
    if kind == CHANNEL and channel:
        found.append(Sighting(_channel(channel, reference, data, at, tenant), True))
    if object_id and user is not None and user.id != getattr(activity.recipient, "id", None):
        person = {k: v for k, v in reference.items() if k != "conversation"}
        found.append(Sighting(_conversation(teams_user_key(object_id), person, at, tenant), False))
    return found


def personal_chat(
    object_id: str,
    reference: Mapping[str, Any],
    conversation_id: str,
    tenant: str | None,
    *,
    at: datetime,
) -> TeamsConversation:
    """The person's chat with the bot once it exists (after `open_chat`)."""
    chat = {k: v for k, v in reference.items() if k != "activityId"}
    chat["conversation"] = {"id": conversation_id, "conversationType": PERSONAL}
    return _conversation(teams_user_key(object_id), chat, at, tenant)


def tenant_of(activity: Activity) -> str | None:
    return _id(channel_data(activity).get("tenant")) or getattr(
        activity.conversation, "tenant_id", None
    )


def personal(conversation: Any) -> bool:
    """A one-to-one chat with the bot. The Bot Framework Emulator names no type: one-to-one too."""
    kind = getattr(conversation, "conversation_type", None)
    return kind == PERSONAL or (not kind and not getattr(conversation, "is_group", False))


async def open_chat(
    connector: ConnectorClient, reference: Mapping[str, Any], tenant_id: str | None
) -> str:
    """The id of the person's chat with the bot, created if need be (Teams hands back the one
    that exists). The bot must be installed for them or in a team they belong to."""
    parsed = ConversationReference().deserialize(dict(reference))
    if parsed.user is None or parsed.bot is None:
        raise ValueError("the reference names no user or no bot")
    parameters = ConversationParameters(
        is_group=False,
        bot=parsed.bot,
        members=[ChannelAccount(id=parsed.user.id)],
        tenant_id=tenant_id,
        channel_data={"tenant": {"id": tenant_id}} if tenant_id else None,
    )
    created = await connector.conversations.create_conversation(parameters)
    return str(created.id)


def channel_data(activity: Activity) -> dict[str, Any]:
    data = activity.channel_data
    return dict(data) if isinstance(data, Mapping) else {}


def _channel(
    channel_id: str,
    reference: dict[str, Any],
    data: dict[str, Any],
    at: datetime,
    tenant: str | None,
) -> TeamsConversation:
    """A team channel; names only as Teams gives them (an install does, a message does not).
    A team's first channel has the team's id and no name of its own: General."""
    team, channel = _mapping(data.get("team")), _mapping(data.get("channel"))
    name = channel.get("name") or (GENERAL if channel_id == team.get("id") else None)
    conversation = {**(reference.get("conversation") or {}), "id": channel_id}
    return TeamsConversation(
        key=teams_channel_key(channel_id),
        reference={**reference, "conversation": conversation},
        updated_at=at,
        tenant_id=tenant,
        team_name=team.get("name"),
        channel_name=name,
    )


def _conversation(
    key: str, reference: dict[str, Any], at: datetime, tenant: str | None
) -> TeamsConversation:
    return TeamsConversation(key=key, reference=reference, updated_at=at, tenant_id=tenant)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _id(value: Any) -> str | None:
    found = value.get("id") if isinstance(value, Mapping) else None
    return str(found) if found else None
