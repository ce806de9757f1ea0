"""One emulator turn: translate what the person did, run the handler, write the answer.

Typed text goes through Slack's own translator (`/deals ...`, `/log ...`), presses through
`core.commands.parse_control`, forms through `handlers.log_form.read_log_form`; the handlers run in
the same pool as Slack's and Teams'. Answers land in the transcript the way Slack shows them:
a reply to a typed command is a message only its author sees, a press that redraws its message
updates it in place, a form opens in the conversation (the modal's place) and is replaced by the
confirmation once it is filled in correctly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.handler_pool import HandlerPool
from bot.services import Services
from bot.slack import translate
from core.commands import Command, FindDeals, ShowActions, parse_control
from core.messages import (
    Choice,
    Form,
    Message,
    Section,
    form_from_dict,
    form_to_dict,
    message_to_dict,
)
from handlers.deps import Reply
from handlers.errors import FieldErrors
from handlers.log_form import LOG_FORM, owner_choices, read_log_form
from handlers.targets import EMULATOR_REP
from storage.emulator import EmulatorTranscript, TranscriptEntry

OUT_OF_DATE = "That button is out of date; /deals shows the current list."
NOT_YOURS = "That message belongs to someone else's conversation; switch to them to use it."


class EmulatorInputError(ValueError):
    """Input the page should not have sent (an unknown message, a bad value): said, not raised."""


@dataclass
class EmulatorChat:
    services: Services
    transcript: EmulatorTranscript
    pool: HandlerPool

    @classmethod
    def build(cls, services: Services, transcript: EmulatorTranscript) -> EmulatorChat:
        return cls(services, transcript, HandlerPool(services, "emulator"))

    async def say(self, actor: int, text: str) -> None:
        """A line typed in the actor's thread: their words, then dealbot's private answer."""
        where = dm_conversation(actor)
        await self._post(where, {"typed": text[:500]}, kind="typed", visible_to=actor)
        name, _, rest = text.strip().partition(" ")
        try:
            command = translate.slash_command(actor, name.lower(), rest)
        except translate.CommandTextError as error:
            await self.notice(where, actor, str(error))
            return
        if command is None:
            await self.notice(where, actor, translate.DEALS_HELP)
            return
        reply = await self.pool.run(command)
        await self._answer(where, actor, command, reply, pressed=None)

    async def press(self, actor: int, entry_id: int, action_id: str, value: str) -> None:
        """A button or a select in a message the actor can see."""
        entry = await self._visible(actor, entry_id)
        command = parse_control(actor, action_id, value)
        if command is None:
            await self.notice(entry.conversation, actor, OUT_OF_DATE)
            return
        reply = await self.pool.run(command)
        await self._answer(entry.conversation, actor, command, reply, pressed=entry)

    async def submit(self, actor: int, entry_id: int, values: Mapping[str, str | None]) -> None:
        """A filled-in form: every mistake shown under its field, or the result in its place."""
        entry = await self._visible(actor, entry_id)
        if entry.kind != "form":
            raise EmulatorInputError("That is not a form.")
        form = form_from_dict(entry.payload["form"])
        if form.form_id != LOG_FORM:
            raise EmulatorInputError("dealbot doesn't know that form.")
        names = {f.name for f in form.fields}
        cleaned = {k: (v.strip() or None) if v else None for k, v in values.items() if k in names}
        try:
            today = self.pool.deps.clock.now().date()
            command = read_log_form(actor, cleaned, self.pool.deps, today=today, once=form.context)
        except FieldErrors as errors:
            payload = {**entry.payload, "values": cleaned, "errors": errors.errors}
            await asyncio.to_thread(self.transcript.replace, entry.id, payload)
            return
        reply = await self.pool.run(command)
        message = _notice(reply) if isinstance(reply, str) else reply.message
        if message is not None:
            payload = {"message": message_to_dict(message)}
            await asyncio.to_thread(self.transcript.replace, entry.id, payload, kind="message")

    async def notice(self, conversation: str, actor: int, text: str) -> None:
        await self._post(conversation, {"message": message_to_dict(_notice(text))}, actor)

    async def _answer(
        self,
        where: str,
        actor: int,
        command: Command,
        reply: Reply | str,
        pressed: TranscriptEntry | None,
    ) -> None:
        if isinstance(reply, str):
            await self.notice(where, actor, reply)
        elif reply.form is not None:
            payload = await self._form_payload(actor, reply.form)
            await self._post(where, payload, actor, kind="form")
        elif reply.message is not None:
            payload = {"message": message_to_dict(reply.message)}
            redraws = reply.replace or isinstance(command, ShowActions)
            if pressed is not None and redraws:
                await asyncio.to_thread(self.transcript.replace, pressed.id, payload)
            else:
                await self._post(where, payload, actor if reply.message.private else None)

    async def _form_payload(self, actor: int, form: Form) -> dict[str, Any]:
        """The form with the lists a page cannot search as you type: your deals, your team."""
        choices: dict[str, list[list[str]]] = {}
        for field in form.fields:
            listed: tuple[Choice, ...] = ()
            if field.kind == "deal_search":
                found = await self.pool.run(FindDeals(actor, ""))
                more = found.choices if isinstance(found, Reply) else ()
                seen = {c.value for c in field.choices}
                listed = field.choices + tuple(c for c in more if c.value not in seen)
            elif field.kind == "user":
                listed = await asyncio.to_thread(self._owner_choices, actor)
            if listed:
                choices[field.name] = [[c.label, c.value] for c in listed]
        return {"form": form_to_dict(form), "choices": choices, "values": {}, "errors": {}}

    def _owner_choices(self, actor_id: int) -> tuple[Choice, ...]:
        with self.services.uow_factory() as uow:
            return owner_choices(uow, actor_id)

    async def _visible(self, actor: int, entry_id: int) -> TranscriptEntry:
        entry = await asyncio.to_thread(self.transcript.get, entry_id)
        if entry is None or entry.visible_to not in (None, actor):
            raise EmulatorInputError("That message is not there any more; reload the page.")
        if entry.conversation.startswith(EMULATOR_REP) and entry.conversation != dm_conversation(
            actor
        ):
            raise EmulatorInputError(NOT_YOURS)
        return entry

    async def _post(
        self, where: str, payload: dict[str, Any], visible_to: int | None, *, kind: str = "message"
    ) -> None:
        at = self.services.clock.now()
        await asyncio.to_thread(
            self.transcript.post, where, payload, at=at, kind=kind, visible_to=visible_to
        )


def dm_conversation(rep_id: int) -> str:
    return f"{EMULATOR_REP}{rep_id}"


def _notice(text: str) -> Message:
    return Message(summary=text, sections=(Section(text=text),))
