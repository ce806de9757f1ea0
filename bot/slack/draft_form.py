"""The draft's edit modal, submitted: check it, answer Slack at once, approve the edited email.

Mistakes (an empty email, one far too long) go back next to their field and change nothing.
The approved card then comes to the rep in a direct message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import translate
from handlers.deals import NotARep
from handlers.draft_review import read_draft_form
from handlers.errors import FieldErrors, UserError

if TYPE_CHECKING:
    from bot.slack.listeners import SlackListeners


class DraftFormListener:
    def __init__(self, listeners: SlackListeners) -> None:
        self.listeners = listeners

    async def on_submit(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        user_id = (body.get("user") or {}).get("id", "")
        actor = await self.listeners.actor(client, user_id)
        if actor is None:
            await ack(response_action="errors", errors={"body": str(NotARep())})
            return
        view = body.get("view") or {}
        values = translate.view_values(view)
        try:
            command = read_draft_form(actor, str(view.get("private_metadata") or ""), values)
        except FieldErrors as errors:
            await ack(response_action="errors", errors=errors.errors)
            return
        except UserError as error:
            await ack(response_action="errors", errors={"body": str(error)})
            return
        await ack()
        reply = await self.listeners.run(command)
        message = reply if isinstance(reply, str) else reply.message
        await self.listeners.post_private(client, user_id, user_id, message)
