"""Outbox rows to Slack: `chat.postMessage` to a user id (a DM), a channel id, or `email:` a person.

An edit (`item.edit_ref`, the `channel/ts` of the original) is a `chat.update` of that message.

The client is slack_sdk's `AsyncWebClient` with `retry_handlers=[]`: no retries inside the SDK.
Its default handler retries connection errors in place, and the optional rate-limit handler
sleeps through 429s inside the call. Either would hide from the worker what it needs to pace
(a 429 must pause the channel and be counted), hold a send slot while sleeping, and stack a
second backoff on top of the worker's. So every failure comes back as an `Outcome`, and the
worker alone decides when to try again.

Each message carries Slack message metadata with its outbox key (`event_type` `dealbot_outbox`),
so a delivered message can be traced back to its row and duplicates can be counted, and
`look_up` can find a message whose sender died before it could mark the row sent: it reads the
conversation's history between the row's creation and the start of the look
(`conversations.history` with `include_all_metadata`, at most `HISTORY_PAGES` pages of
`HISTORY_PAGE` messages). Only a message posted by this bot counts (its `bot_id` or `user`, as
`auth.test` names them once per process): anyone can attach metadata to a message. History that
goes on past the page budget is not proof of absence: the look answers "unsure" and the row is
looked for again later instead of being posted a second time. That needs the
`channels:history`, `groups:history` and `im:history` scopes and, for a DM, `im:write` to find
the DM's channel (`conversations.open`); without them the row is sent again (see
`bot.delivery.reconcile`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery.messenger import (
    Outcome,
    PermanentFailure,
    RateLimited,
    Sent,
    TransientFailure,
    retry_after_of,
)
from bot.delivery.reconcile import Lookup, NotDelivered
from core.messages import Message, message_from_dict
from core.ports import OutboxItem

Renderer = Callable[[Message], tuple[str, list[dict[str, Any]]]]
"""A neutral message as Slack wants it: (fallback text, Block Kit blocks)."""

EMAIL_PREFIX = "email:"
METADATA_EVENT = "dealbot_outbox"
HISTORY_PAGE = 200
HISTORY_PAGES = 5
CLOCK_SKEW = timedelta(minutes=1)
"""How much earlier than the row's creation a message may look, by Slack's clock."""
TRANSIENT_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "timeout"}
)


class SlackMessenger:
    """Sends outbox rows with one shared HTTP session; never raises for a failed send."""

    def __init__(
        self, *, token: str, base_url: str, render: Renderer, timeout_seconds: int = 10
    ) -> None:
        self._token = token
        self.base_url = base_url
        self.render = render
        self.timeout_seconds = timeout_seconds
        self._client: AsyncWebClient | None = None
        self._session: aiohttp.ClientSession | None = None
        self._user_ids: dict[str, str] = {}
        self._identity: frozenset[tuple[str, str]] | None = None

    def _web(self) -> AsyncWebClient:
        # The session belongs to the running event loop, so it is made on first use, not here.
        if self._client is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout_seconds)
            )
            self._client = AsyncWebClient(
                token=self._token,
                base_url=self.base_url,
                session=self._session,
                timeout=self.timeout_seconds,
                retry_handlers=[],
            )
        return self._client

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
        self._session = None
        self._client = None

    async def send(self, item: OutboxItem) -> Outcome:
        try:
            text, blocks = self.render(message_from_dict(item.payload["message"]))
        except Exception as error:  # a payload that cannot be rendered will not get better
            return PermanentFailure(f"unrenderable payload ({type(error).__name__})")
        metadata = {"event_type": METADATA_EVENT, "event_payload": {"key": item.key}}
        try:
            if item.edit_ref is not None:
                channel, _, ts = item.edit_ref.partition("/")
                answer = await self._web().chat_update(
                    channel=channel, ts=ts, text=text, blocks=blocks, metadata=metadata
                )
            else:
                channel = await self._channel_for(item.target)
                answer = await self._web().chat_postMessage(
                    channel=channel, text=text, blocks=blocks, metadata=metadata
                )
        except SlackApiError as error:
            return outcome_of_error(error)
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            return TransientFailure(f"connection: {type(error).__name__}")
        return Sent(f"{answer.get('channel')}/{answer.get('ts')}")

    async def look_up(self, item: OutboxItem) -> Lookup:
        """Whether the row's message is already in its conversation (found by its outbox key)."""
        created = item.created_at if item.created_at.tzinfo else item.created_at.replace(tzinfo=UTC)
        oldest = f"{(created - CLOCK_SKEW).timestamp():.6f}"
        latest = f"{(datetime.now(UTC) + CLOCK_SKEW).timestamp():.6f}"
        try:
            ours = await self._own_identity()
            channel = await self._conversation_for(item.target)
            cursor = None
            for _ in range(HISTORY_PAGES):
                page = await self._web().conversations_history(
                    channel=channel,
                    limit=HISTORY_PAGE,
                    include_all_metadata=True,
                    cursor=cursor,
                    oldest=oldest,
                    latest=latest,
                )
                ts = _message_with_key(page.get("messages") or [], item.key, ours)
                if ts is not None:
                    return Sent(f"{channel}/{ts}")
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not page.get("has_more") or not cursor:
                    return NotDelivered()
        except SlackApiError as error:
            return outcome_of_error(error)
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            return TransientFailure(f"connection: {type(error).__name__}")
        return TransientFailure(
            f"unsure: more than {HISTORY_PAGES * HISTORY_PAGE} messages since it was written"
        )

    async def _own_identity(self) -> frozenset[tuple[str, str]]:
        """("bot_id", B...) and ("user", U...) of this token's bot, asked of Slack once."""
        if self._identity is None:
            answer = await self._web().auth_test()
            found = {("bot_id", answer.get("bot_id")), ("user", answer.get("user_id"))}
            self._identity = frozenset((k, str(v)) for k, v in found if v)
        return self._identity

    async def _conversation_for(self, target: str) -> str:
        """The conversation a post to `target` lands in: a user's DM is opened to learn its id."""
        channel = await self._channel_for(target)
        if not channel.startswith(("U", "W")):
            return channel
        opened = await self._web().conversations_open(users=channel)
        return str(opened["channel"]["id"])

    async def _channel_for(self, target: str) -> str:
        """A user or channel id as is; `email:x@y` looked up once per process."""
        if not target.startswith(EMAIL_PREFIX):
            return target
        email = target.removeprefix(EMAIL_PREFIX).strip().lower()
        if email not in self._user_ids:
            found = await self._web().users_lookupByEmail(email=email)
            self._user_ids[email] = str(found["user"]["id"])
        return self._user_ids[email]


def outcome_of_error(error: SlackApiError) -> Outcome:
    """429 -> rate limited; 5xx and Slack's own hiccups -> transient; the rest -> permanent."""
    response = error.response
    status = int(getattr(response, "status_code", 0) or 0)
    code = ""
    if isinstance(response.data, dict):
        code = str(response.data.get("error") or "")
    if status == 429 or code == "ratelimited":
        return RateLimited(retry_after_of(response.headers))
    if status >= 500 or status == 408 or code in TRANSIENT_ERRORS:
        return TransientFailure(f"HTTP {status} {code}".strip())
    return PermanentFailure(code or f"HTTP {status}")


def _message_with_key(
    messages: list[dict[str, Any]], key: str, ours: frozenset[tuple[str, str]]
) -> str | None:
    """The ts of our bot's message carrying outbox `key` in its metadata, else None."""
    for message in messages:
        metadata = message.get("metadata") or {}
        payload = metadata.get("event_payload") or {}
        if metadata.get("event_type") != METADATA_EVENT or payload.get("key") != key:
            continue
        if any(str(message.get(field)) == value for field, value in ours):
            return str(message.get("ts"))
    return None
