"""Outbox rows to Microsoft Teams: a card posted to a person's chat or a team channel, or edited.

The target is a conversation key (`handlers.targets`); its stored reference gives the service URL
and the conversation. A person known only from a channel gets their chat with the bot created
here first (`POST /v3/conversations`), and it is stored for the next time. An edit
(`item.edit_ref`, the `<key>/<activity id>` this sender returned) updates that message in place.

The Bot Connector client retries inside itself by default (three times, on connection errors and
5xx, sleeping in between), which would hide from the worker what it needs to pace and count. Here
it does not retry at all: every answer comes back as an `Outcome` and the worker decides. Teams
asks bots to back off on 429 (honouring Retry-After) and to retry 412, 502 and 504; other 4xx
(the bot was removed, the conversation is gone, the token is refused) are for a person to look at.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
)
from msrest.exceptions import ClientRequestError, HttpOperationError
from urllib3 import Retry

from bot.delivery.messenger import (
    Outcome,
    PermanentFailure,
    RateLimited,
    Sent,
    TransientFailure,
    retry_after_of,
)
from bot.teams.conversations import open_chat, personal_chat
from bot.teams.render import render_card
from bot.teams.replies import card_activity
from core.messages import message_from_dict
from core.ports import Clock, OutboxItem, TeamsConversation, UnitOfWork
from handlers.targets import TEAMS_USER

log = logging.getLogger(__name__)

TRANSIENT_STATUSES = frozenset({408, 412, 500, 502, 503, 504})
NOT_INSTALLED = "no Teams conversation stored (dealbot is not installed there)"


class TeamsMessenger:
    """Sends outbox rows through the Bot Connector; never raises for a failed send."""

    def __init__(
        self,
        authentication: BotFrameworkAuthentication,
        *,
        app_id: str,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        timeout_seconds: int = 10,
    ) -> None:
        self.authentication = authentication
        self.app_id = app_id
        self.uow_factory = uow_factory
        self.clock = clock
        self.timeout_seconds = timeout_seconds
        self._clients: dict[str, ConnectorClient] = {}
        self._opening: dict[str, asyncio.Lock] = {}

    async def aclose(self) -> None:
        self._clients.clear()
        self._opening.clear()

    async def send(self, item: OutboxItem) -> Outcome:
        try:
            message = message_from_dict(item.payload["message"])
            activity = card_activity(render_card(message), message.summary)
        except Exception as error:  # a payload that cannot be rendered will not get better
            return PermanentFailure(f"unrenderable payload ({type(error).__name__})")
        key, _, edited = item.edit_ref.partition("/") if item.edit_ref else (item.target, "", "")
        try:
            found = await self._conversation(key)
            if found is None:
                return PermanentFailure(NOT_INSTALLED)
            client, conversation_id = found
            if edited:
                activity.id = edited
                await client.conversations.update_activity(conversation_id, edited, activity)
                return Sent(item.edit_ref)
            answer = await client.conversations.send_to_conversation(conversation_id, activity)
        except HttpOperationError as error:
            return outcome_of_status(error.response)
        except (ClientRequestError, OSError, TimeoutError) as error:
            return TransientFailure(f"connection: {type(error).__name__}")
        return Sent(f"{key}/{answer.id}")

    async def _conversation(self, key: str) -> tuple[ConnectorClient, str] | None:
        """The client for the target's service URL and its conversation id, the person's chat
        created first when only the person is known (once, even with several rows in flight)."""
        lock = self._opening.setdefault(key, asyncio.Lock())
        async with lock:
            stored = await asyncio.to_thread(self._stored, key)
            if stored is None:
                return None
            client = await self._client(str(stored.reference.get("serviceUrl") or ""))
            found = (stored.reference.get("conversation") or {}).get("id")
            if found:
                return client, str(found)
            conversation_id = await open_chat(client, stored.reference, stored.tenant_id)
            object_id = key.removeprefix(TEAMS_USER)
            chat = personal_chat(
                object_id, stored.reference, conversation_id, stored.tenant_id, at=self.clock.now()
            )
            await asyncio.to_thread(self._save, chat)
            return client, conversation_id

    async def _client(self, service_url: str) -> ConnectorClient:
        """One client per service URL, without retries of its own and with a short timeout."""
        if service_url not in self._clients:
            claims = ClaimsIdentity(
                {
                    AuthenticationConstants.AUDIENCE_CLAIM: self.app_id,
                    AuthenticationConstants.APP_ID_CLAIM: self.app_id,
                },
                True,
            )
            factory = self.authentication.create_connector_factory(claims)
            audience = self.authentication.get_originating_audience()
            client = await factory.create(service_url, audience)
            client.config.retry_policy.policy = Retry(total=0, raise_on_status=False)
            client.config.connection.timeout = self.timeout_seconds
            self._clients[service_url] = client
        return self._clients[service_url]

    def _stored(self, key: str) -> TeamsConversation | None:
        with self.uow_factory() as uow:
            return uow.teams_conversations.get(key)

    def _save(self, conversation: TeamsConversation) -> None:
        with self.uow_factory() as uow:
            uow.teams_conversations.save(conversation)
            uow.commit()


def outcome_of_status(response: Any) -> Outcome:
    """429 -> rate limited; 412, 5xx and timeouts -> transient; any other refusal -> permanent."""
    status = int(getattr(response, "status_code", 0) or 0)
    if status == 429:
        return RateLimited(retry_after_of(getattr(response, "headers", None)))
    if status in TRANSIENT_STATUSES or status >= 500:
        return TransientFailure(f"HTTP {status}")
    return PermanentFailure(f"HTTP {status}")
