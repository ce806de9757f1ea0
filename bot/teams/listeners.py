"""One Teams turn: remember where we may write, translate, run the handler in the pool, answer.

botbuilder's `TurnContext` stops here and in the modules this one calls. Handlers run exactly as
for Slack (`Services.deps("teams")` through the handler pool); this module only moves Teams
activities in and cards out:

- a typed message (`deals`, `log acme called Sarah`; in a channel after @dealbot) gets a new message;
- a press arrives as an `adaptiveCard/action` invoke (Action.Execute) and is answered with the
  card to show in its place, or as a message with `value` (the Action.Submit fallback) and is
  answered by updating the pressed card;
- installing the app (`conversationUpdate` with the bot among the members added, or
  `installationUpdate`) stores the conversation for proactive messages and says hello.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import ActivityTypes

from bot.handler_pool import HandlerPool
from bot.services import Services
from bot.teams import translate
from bot.teams.conversations import Sighting, sightings
from bot.teams.draft_form import on_draft_form
from bot.teams.forms import CONTEXT_KEY, FORM_KEY, render_form
from bot.teams.people import TeamsPeople
from bot.teams.render import render_card
from bot.teams.replies import (
    TeamsReplies,
    card_activity,
    card_response,
    is_personal,
    message_activity,
    message_response,
    respond_to_invoke,
    text_activity,
    update_pressed,
)
from core.commands import Command, FindDeals, OpenLogForm, ShowActions
from core.draft_commands import DRAFT_FORM
from core.messages import Choice, Form
from handlers.deals import NotARep
from handlers.deps import Reply
from handlers.errors import FieldErrors
from handlers.log_form import LOG_FORM, read_log_form

OUT_OF_DATE = "That button is out of date; deals shows the current list."
WELCOME = (
    "Hi{name}, I'm dealbot. Every working morning I send you the actions worth your time, "
    "best first. Type deals for your list now, log <deal> <note> to record a call, log for a "
    "form, or help."
)
TEAM_WELCOME = (
    "dealbot is in this team now. Mention me with deals, log or help (@dealbot deals); answers "
    "come to each of you in a private chat. An admin can send a sales team's alerts to this "
    "channel with `dealbot teams alerts`."
)
NOT_INPUTS = frozenset({FORM_KEY, CONTEXT_KEY, "action_id"})
"""What a form's submit button carries besides the inputs themselves."""


@dataclass
class Press:
    """Where a press came from, so the answer goes back the way Teams expects for it."""

    context: TurnContext
    invoke: bool
    replies: TeamsReplies

    async def replace(self, card: dict[str, Any], summary: str) -> None:
        if self.invoke:
            await respond_to_invoke(self.context, card_response(card))
        else:
            await update_pressed(self.context, card_activity(card, summary))

    async def notice(self, text: str) -> None:
        """Tell only the presser (a toast for Execute; their chat for a Submit in a channel)."""
        if self.invoke:
            await respond_to_invoke(self.context, message_response(text))
        else:
            await self.replies.send(self.context, text_activity(text), private=True)


class TeamsListeners:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.deps = services.deps("teams")
        self.pool = HandlerPool(services, "teams")
        self.people = TeamsPeople(services)
        self.replies = TeamsReplies(services)

    async def on_turn(self, context: TurnContext) -> None:
        activity = context.activity
        if _bot_removed(activity):
            await self.forget(context)
            return
        await self.remember(context)
        data = translate.card_data(activity.type, activity.name, activity.value)
        if activity.type == ActivityTypes.invoke:
            if data is not None:
                await self.on_press(context, data, invoke=True)
        elif activity.type == ActivityTypes.message:
            if data and not (activity.text or "").strip():
                await self.on_press(context, data, invoke=False)
            else:
                await self.on_text(context)
        elif activity.type == ActivityTypes.conversation_update and _bot_added(activity):
            await self.welcome(context)

    # --- typed commands ---------------------------------------------------------------------

    async def on_text(self, context: TurnContext) -> None:
        text = translate.command_text(context.activity.text, _bot_mentions(context))
        actor = await self.people.actor(context)
        if actor is None:
            await self.replies.send(context, text_activity(str(NotARep())), private=True)
            return
        try:
            command = translate.text_command(actor, text)
        except translate.CommandTextError as error:
            await self.replies.send(context, text_activity(str(error)), private=True)
            return
        if command is None:
            await self.replies.send(context, text_activity(translate.TEAMS_HELP), private=True)
            return
        reply = await self.pool.run(command)
        if isinstance(reply, str):
            await self.replies.send(context, text_activity(reply), private=True)
        elif reply.form is not None:
            card = await self.form_card(actor, reply.form)
            await self.replies.send(context, card_activity(card, reply.form.title), private=True)
        elif reply.message is not None:
            private = reply.message.private
            await self.replies.send(context, message_activity(reply.message), private=private)

    # --- presses ----------------------------------------------------------------------------

    async def on_press(
        self, context: TurnContext, data: Mapping[str, Any], *, invoke: bool
    ) -> None:
        press = Press(context, invoke, self.replies)
        actor = await self.people.actor(context)
        if actor is None:
            await press.notice(str(NotARep()))
            return
        if data.get(FORM_KEY) == LOG_FORM:
            await self.on_log_form(press, actor, data)
            return
        if data.get(FORM_KEY) == DRAFT_FORM:
            await on_draft_form(self, press, actor, data)
            return
        command = translate.press(actor, data)
        if command is None:
            await press.notice(OUT_OF_DATE)
            return
        reply = await self.pool.run(command)
        await self.answer_press(press, actor, command, reply)

    async def answer_press(
        self, press: Press, actor: int, command: Command, reply: Reply | str
    ) -> None:
        context = press.context
        if isinstance(reply, str):
            await press.notice(reply)
        elif reply.form is not None:
            card = await self.form_card(actor, reply.form)
            await self.replies.send(context, card_activity(card, reply.form.title), private=True)
            await self._acknowledge(press, "The form is below.")
        elif reply.message is not None and (reply.replace or isinstance(command, ShowActions)):
            await press.replace(render_card(reply.message), reply.message.summary)
        elif reply.message is not None:
            private = reply.message.private
            await self.replies.send(context, message_activity(reply.message), private=private)
            await self._acknowledge(press, reply.message.summary)
        else:
            await self._acknowledge(press, "Done.")

    async def _acknowledge(self, press: Press, text: str) -> None:
        """An invoke must be answered; the card stays as it was and the presser sees `text`."""
        if press.invoke:
            await respond_to_invoke(press.context, message_response(text))

    # --- the log form -----------------------------------------------------------------------

    async def on_log_form(self, press: Press, actor: int, data: Mapping[str, Any]) -> None:
        names = [name for name in data if name not in NOT_INPUTS]
        values = translate.form_values(data, names)
        try:
            today = self.deps.clock.now().date()
            once = str(data.get(CONTEXT_KEY) or "")
            command = read_log_form(actor, values, self.deps, today=today, once=once)
        except FieldErrors as errors:
            form = await self.pool.run(OpenLogForm(actor))
            if not isinstance(form, Reply) or form.form is None:
                await press.notice(str(errors))
                return
            card = await self.form_card(actor, form.form, values=values, errors=errors.errors)
            await press.replace(card, form.form.title)
            return
        reply = await self.pool.run(command)
        if isinstance(reply, str) or reply.message is None:
            await press.notice(reply if isinstance(reply, str) else "Logged.")
            return
        await press.replace(render_card(reply.message), reply.message.summary)

    async def form_card(
        self,
        actor: int,
        form: Form,
        *,
        values: Mapping[str, str | None] | None = None,
        errors: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """The form with the lists Teams cannot search as you type: your deals and your team."""
        choices: dict[str, tuple[Choice, ...]] = {}
        for field in form.fields:
            if field.kind == "deal_search":
                found = await self.pool.run(FindDeals(actor, ""))
                listed = found.choices if isinstance(found, Reply) else ()
                choices[field.name] = _merged(field.choices, listed)
            elif field.kind == "user":
                choices[field.name] = await asyncio.to_thread(self.people.owner_choices, actor)
        return render_form(form, choices=choices, values=values, errors=errors)

    # --- installs and conversation references ---------------------------------------------

    async def welcome(self, context: TurnContext) -> None:
        if not is_personal(context):
            await context.send_activity(text_activity(TEAM_WELCOME))
            return
        user = context.activity.from_property
        actor = await self.people.actor(context)
        name = f" {user.name.split()[0]}" if user is not None and user.name else ""
        text = WELCOME.format(name=name)
        if actor is None:
            text += " " + str(NotARep())
        await context.send_activity(text_activity(text))

    async def remember(self, context: TurnContext) -> None:
        found = sightings(context.activity, self.services.clock.now())
        if found:
            await asyncio.to_thread(self._save, found)

    async def forget(self, context: TurnContext) -> None:
        found = sightings(context.activity, self.services.clock.now())
        keys = [s.conversation.key for s in found if s.replace]  # never a person's own chat
        if keys:
            await asyncio.to_thread(self._forget, keys)

    def _save(self, found: list[Sighting]) -> None:
        with self.services.uow_factory() as uow:
            for sighting in found:
                uow.teams_conversations.save(sighting.conversation, replace=sighting.replace)
            uow.commit()

    def _forget(self, keys: list[str]) -> None:
        with self.services.uow_factory() as uow:
            for key in keys:
                uow.teams_conversations.forget(key)
            uow.commit()


def _merged(first: tuple[Choice, ...], then: tuple[Choice, ...]) -> tuple[Choice, ...]:
    seen = {c.value for c in first}
    return first + tuple(c for c in then if c.value not in seen)


def _bot_mentions(context: TurnContext) -> list[str]:
    bot = context.activity.recipient.id if context.activity.recipient else None
    mentions = []
    for entity in TurnContext.get_mentions(context.activity):
        extra = getattr(entity, "additional_properties", None) or {}
        mentioned = extra.get("mentioned") or {}
        if mentioned.get("id") == bot and extra.get("text"):
            mentions.append(str(extra["text"]))
    return mentions


def _bot_added(activity: Any) -> bool:
    bot = activity.recipient.id if activity.recipient else None
    return any(member.id == bot for member in activity.members_added or [])


def _bot_removed(activity: Any) -> bool:
    if activity.type == ActivityTypes.installation_update:
        return str(activity.action or "").startswith("remove")
    bot = activity.recipient.id if activity.recipient else None
    removed = activity.members_removed or []
    return activity.type == ActivityTypes.conversation_update and any(
        member.id == bot for member in removed
    )
