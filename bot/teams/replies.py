"""How an answer reaches the person in Teams: a new message, a card updated in place, an invoke
response, and a private chat for what Slack would show only to them.

Teams has no ephemeral messages. An answer meant for one person (every `/deals` list, every log
confirmation) asked for in a channel goes to their chat with the bot, and the thread gets a short
line saying so; in that chat it is simply the reply.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from botbuilder.core import BotAdapter, CardFactory, InvokeResponse, TurnContext
from botbuilder.schema import Activity, ActivityTypes, ConversationAccount

from bot.services import Services
from bot.teams.conversations import open_chat, personal, personal_chat, tenant_of
from bot.teams.render import CARD_CONTENT_TYPE, render_card
from core.messages import Message
from core.ports import TeamsConversation
from handlers.targets import teams_user_key

log = logging.getLogger(__name__)

MESSAGE_RESPONSE = "application/vnd.microsoft.activity.message"
SENT_PRIVATELY = "I sent you the answer in our private chat."
NO_PRIVATE_CHAT = (
    "I couldn't write to you privately. Add dealbot for yourself (Apps, then dealbot, then Add) "
    "and ask again."
)


def card_activity(card: dict[str, Any], summary: str) -> Activity:
    """A message holding one Adaptive Card; `summary` is what notifications show."""
    return Activity(
        type=ActivityTypes.message,
        attachments=[CardFactory.adaptive_card(card)],
        summary=summary[:200],
    )


def message_activity(message: Message) -> Activity:
    return card_activity(render_card(message), message.summary)


def text_activity(text: str) -> Activity:
    """Plain text, shown as typed (Teams would otherwise read it as markdown)."""
    return Activity(type=ActivityTypes.message, text=text, text_format="plain")


def card_response(card: dict[str, Any]) -> InvokeResponse:
    """Answer to an `adaptiveCard/action`: this card replaces the one pressed."""
    return _invoke(CARD_CONTENT_TYPE, card)


def message_response(text: str) -> InvokeResponse:
    """Answer to an `adaptiveCard/action` that leaves the card as it is and tells the presser."""
    return _invoke(MESSAGE_RESPONSE, text)


def _invoke(kind: str, value: Any) -> InvokeResponse:
    return InvokeResponse(status=200, body={"statusCode": 200, "type": kind, "value": value})


async def respond_to_invoke(context: TurnContext, response: InvokeResponse) -> None:
    await context.send_activity(Activity(type=ActivityTypes.invoke_response, value=response))


async def update_pressed(context: TurnContext, activity: Activity) -> None:
    """Replace the card that was pressed (an Action.Submit arrives with its id as `replyToId`)."""
    pressed = context.activity.reply_to_id
    if not pressed:
        await context.send_activity(activity)
        return
    activity.id = pressed
    await context.update_activity(activity)


def is_personal(context: TurnContext) -> bool:
    return personal(context.activity.conversation)


class TeamsReplies:
    def __init__(self, services: Services) -> None:
        self.services = services

    async def send(self, context: TurnContext, activity: Activity, *, private: bool) -> None:
        """A new message: here, or in the person's own chat when it is private and this is not."""
        if not private or is_personal(context):
            await context.send_activity(activity)
            return
        delivered = await self._send_privately(context, activity)
        await context.send_activity(text_activity(SENT_PRIVATELY if delivered else NO_PRIVATE_CHAT))

    async def _send_privately(self, context: TurnContext, activity: Activity) -> bool:
        incoming = context.activity
        user = incoming.from_property
        object_id = getattr(user, "aad_object_id", None)
        connector = context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
        if user is None or not object_id or connector is None:
            return False
        stored = await asyncio.to_thread(self._stored, teams_user_key(object_id))
        conversation_id = (stored.reference.get("conversation") or {}).get("id") if stored else None
        tenant = (stored.tenant_id if stored else None) or tenant_of(incoming)
        try:
            if not conversation_id:
                reference = TurnContext.get_conversation_reference(incoming).serialize()
                conversation_id = await open_chat(connector, reference, tenant)
                chat = personal_chat(object_id, reference, conversation_id, tenant, at=self.now())
                await asyncio.to_thread(self._save, chat)
            activity.conversation = ConversationAccount(id=conversation_id)
            await connector.conversations.send_to_conversation(conversation_id, activity)
        except Exception as error:  # the person blocked the bot, or it is not installed for them
            log.warning("private Teams answer not delivered: %s", type(error).__name__)
            return False
        return True

    def now(self) -> datetime:
        return self.services.clock.now()

    def _stored(self, key: str) -> TeamsConversation | None:
        with self.services.uow_factory() as uow:
            return uow.teams_conversations.get(key)

    def _save(self, conversation: TeamsConversation) -> None:
        with self.services.uow_factory() as uow:
            uow.teams_conversations.save(conversation)
            uow.commit()
