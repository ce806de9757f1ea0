"""Bolt listeners: acknowledge at once, translate, run the handler in a thread, answer.

Bolt's injected arguments (`ack`, `respond`, `body`, `client`) stop here. Every handler runs the
same way for every surface; this module only moves Slack payloads in and Block Kit out.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.handler_pool import HandlerPool
from bot.services import Services
from bot.slack import translate
from bot.slack.draft_form import DraftFormListener
from bot.slack.forms import modal_view, options
from bot.slack.render import home_view, render_message
from core.commands import Command, ShowActions
from core.draft_commands import DRAFT_FORM
from core.messages import Message, Section
from handlers.chat_identity import link_chat_user
from handlers.deals import NotARep
from handlers.deps import Reply
from handlers.errors import FieldErrors
from handlers.log_form import LOG_FORM, read_log_form

log = logging.getLogger(__name__)


class SlackListeners:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.deps = services.deps("slack")
        self.pool = HandlerPool(services, "slack")

    def register(self, app: AsyncApp) -> None:
        app.command("/deals")(self.on_command)
        app.command("/log")(self.on_command)
        app.action(re.compile(r"^dealbot\."))(self.on_action)
        app.view(LOG_FORM)(self.on_log_form)
        app.view(DRAFT_FORM)(DraftFormListener(self).on_submit)
        app.options("deal")(self.on_deal_search)
        app.event("app_home_opened")(self.on_home_opened)

    # --- slash commands -------------------------------------------------------------------

    async def on_command(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        actor = await self.actor(client, body.get("user_id", ""))
        if actor is None:
            await respond(text=str(NotARep()), response_type="ephemeral")
            return
        try:
            command = translate.slash_command(actor, body.get("command", ""), body.get("text", ""))
        except translate.CommandTextError as error:
            await respond(text=str(error), response_type="ephemeral")
            return
        if command is None:
            await respond(text=translate.DEALS_HELP, response_type="ephemeral")
            return
        reply = await self.run(command)
        if isinstance(reply, str):
            await respond(text=reply, response_type="ephemeral")
        elif reply.form is not None:
            await self.open_form(client, body, reply)
        elif reply.message is not None:
            text, blocks = render_message(reply.message)
            await respond(text=text, blocks=blocks, response_type="ephemeral")
        await self.refresh_homes(client, reply)

    # --- buttons and selects --------------------------------------------------------------

    async def on_action(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()
        actor = await self.actor(client, (body.get("user") or {}).get("id", ""))
        in_home = (body.get("container") or {}).get("type") == "view"
        if actor is None:
            await self.say_privately(body, client, respond, str(NotARep()))
            return
        for action in body.get("actions", [])[:1]:
            command = translate.block_action(actor, action)
            if command is None:
                await self.say_privately(
                    body,
                    client,
                    respond,
                    "That button is out of date; /deals shows the current list.",
                )
                return
            reply = await self.run(command)
            if isinstance(reply, str):
                await self.say_privately(body, client, respond, reply)
            elif reply.form is not None:
                await self.open_form(client, body, reply)
            elif reply.message is not None and _replaces(command, reply) and not in_home:
                text, blocks = render_message(reply.message)
                await respond(text=text, blocks=blocks, replace_original=True)
            elif reply.message is not None and not in_home:
                text, blocks = render_message(reply.message)
                await respond(
                    text=text, blocks=blocks, response_type="ephemeral", replace_original=False
                )
            await self.refresh_homes(client, reply, also=actor if in_home else None)

    # --- the /log form --------------------------------------------------------------------

    async def on_log_form(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        user_id = (body.get("user") or {}).get("id", "")
        actor = await self.actor(client, user_id)
        if actor is None:
            await ack(response_action="errors", errors={"deal": str(NotARep())})
            return
        values = translate.view_values(body.get("view") or {})
        values["next_owner"] = await self.owner_id(client, values.get("next_owner"))
        channel, once = _log_form_metadata((body.get("view") or {}).get("private_metadata"))
        try:
            today = self.deps.clock.now().date()
            command = read_log_form(actor, values, self.deps, today=today, once=once)
        except FieldErrors as errors:
            await ack(response_action="errors", errors=errors.errors)
            return
        await ack()
        reply = await self.run(command)
        message = reply if isinstance(reply, str) else reply.message
        await self.post_private(client, channel or user_id, user_id, message)
        if not isinstance(reply, str):
            await self.refresh_homes(client, reply)

    async def on_deal_search(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        actor = await self.actor(client, (body.get("user") or {}).get("id", ""))
        if actor is None:
            await ack(options=[])
            return
        reply = await self.run(translate.deal_suggestion(actor, body))
        await ack(options=options(reply.choices) if isinstance(reply, Reply) else [])

    # --- App Home -------------------------------------------------------------------------

    async def on_home_opened(self, event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user_id = event.get("user", "")
        actor = await self.actor(client, user_id)
        await self.publish_home(client, user_id, actor)

    async def publish_home(self, client: AsyncWebClient, user_id: str, actor: int | None) -> None:
        if actor is None:
            message = Message(
                summary="dealbot", title="dealbot", sections=(Section(text=str(NotARep())),)
            )
        else:
            reply = await self.run(ShowActions(actor))
            message = (
                reply.message if isinstance(reply, Reply) and reply.message else _notice(str(reply))
            )
        try:
            await client.views_publish(user_id=user_id, view=home_view(message))
        except SlackApiError as error:
            log.warning("Home tab not published: %s", error.response.get("error"))

    async def refresh_homes(
        self, client: AsyncWebClient, reply: Reply | str, also: int | None = None
    ) -> None:
        """Republish the Home tab of every rep whose list changed (and of the presser)."""
        reps = set(reply.changed_reps) if isinstance(reply, Reply) else set()
        if also is not None:
            reps.add(also)
        if not reps:
            return
        users = await asyncio.to_thread(self.slack_ids, sorted(reps))
        for rep_id, user_id in users.items():
            await self.publish_home(client, user_id, rep_id)

    # --- shared ---------------------------------------------------------------------------

    async def run(self, command: Command) -> Reply | str:
        """The handler's reply, or the text to show when it refused (or failed: logged)."""
        return await self.pool.run(command)

    async def actor(self, client: AsyncWebClient, user_id: str) -> int | None:
        """The rep behind a Slack user: stored, or looked up once by email and stored."""
        if not user_id:
            return None
        uow_factory, clock = self.services.uow_factory, self.services.clock
        known = await asyncio.to_thread(link_chat_user, uow_factory, clock, "slack", user_id, None)
        if known is not None:
            return known
        try:
            info = await client.users_info(user=user_id)
        except SlackApiError as error:
            log.warning("users.info failed: %s", error.response.get("error"))
            return None
        email = ((info.get("user") or {}).get("profile") or {}).get("email")
        if not email:
            return None
        return await asyncio.to_thread(link_chat_user, uow_factory, clock, "slack", user_id, email)

    async def owner_id(self, client: AsyncWebClient, user_id: str | None) -> str | None:
        if not user_id:
            return None
        rep = await self.actor(client, user_id)
        return str(rep) if rep is not None else f"unknown:{user_id}"

    def slack_ids(self, rep_ids: list[int]) -> dict[int, str]:
        with self.services.uow_factory() as uow:
            reps = [uow.reps.get(rep_id) for rep_id in rep_ids]
        return {r.id: r.slack_user_id for r in reps if r and r.id and r.slack_user_id}

    async def open_form(self, client: AsyncWebClient, body: dict[str, Any], reply: Reply) -> None:
        assert reply.form is not None
        channel = body.get("channel_id") or (body.get("channel") or {}).get("id") or ""
        form = reply.form
        # The log form answers in the channel it was opened from, and carries its token too.
        metadata = f"{channel}|{form.context}" if form.form_id == LOG_FORM else form.context
        try:
            await client.views_open(
                trigger_id=body.get("trigger_id", ""), view=modal_view(form, metadata or channel)
            )
        except SlackApiError as error:
            log.warning("views.open failed: %s", error.response.get("error"))

    async def say_privately(
        self, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond, text: str
    ) -> None:
        if body.get("response_url"):
            await respond(text=text, response_type="ephemeral", replace_original=False)
            return
        user_id = (body.get("user") or {}).get("id", "")
        await self.post_private(client, user_id, user_id, _notice(text))

    async def post_private(
        self, client: AsyncWebClient, channel: str, user_id: str, message: Message | str | None
    ) -> None:
        """An answer only `user_id` sees: ephemeral in `channel`, or a DM when that fails."""
        if message is None:
            return
        text, blocks = render_message(_notice(message) if isinstance(message, str) else message)
        try:
            if channel.startswith(("C", "G")):
                await client.chat_postEphemeral(
                    channel=channel, user=user_id, text=text, blocks=blocks
                )
            else:
                await client.chat_postMessage(channel=user_id, text=text, blocks=blocks)
        except SlackApiError as error:
            log.warning("answer not delivered: %s", error.response.get("error"))


def _log_form_metadata(metadata: str | None) -> tuple[str, str]:
    """(channel, token) from the log form's `private_metadata` (`<channel>|<token>`)."""
    channel, _, once = (metadata or "").partition("|")
    return channel, once


def _replaces(command: Command, reply: Reply) -> bool:
    """A press redraws its own message: a new page of the list, or the list after a change."""
    return reply.replace or isinstance(command, ShowActions)


def _notice(text: str) -> Message:
    return Message(summary=text, sections=(Section(text=text),))
