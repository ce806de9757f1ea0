"""Outbox rows to the emulator: the emulator's chat platform, as Slack's and Teams' are theirs.

A row's target is a conversation (`rep:<id>` or `team:<id>`, from `handlers.targets`); sending
posts it to the transcript under the row's key, and an edit (`item.edit_ref`, the key this
sender returned for the original) updates that message in place, as `chat.update` does on Slack.
"""

from __future__ import annotations

import asyncio

from bot.delivery.messenger import Outcome, PermanentFailure, Sent
from core.messages import message_from_dict, message_to_dict
from core.ports import Clock, OutboxItem
from handlers.targets import EMULATOR_REP, EMULATOR_TEAM
from storage.emulator import EmulatorTranscript


class EmulatorMessenger:
    def __init__(self, transcript: EmulatorTranscript, clock: Clock) -> None:
        self.transcript = transcript
        self.clock = clock

    async def send(self, item: OutboxItem) -> Outcome:
        try:
            message = message_from_dict(item.payload["message"])
        except Exception as error:  # a payload that cannot be read will not get better
            return PermanentFailure(f"unrenderable payload ({type(error).__name__})")
        if not item.target.startswith((EMULATOR_REP, EMULATOR_TEAM)):
            return PermanentFailure("not an emulator conversation")
        payload = {"message": message_to_dict(message)}
        if item.edit_ref:
            edited = await asyncio.to_thread(self.transcript.edit_by_key, item.edit_ref, payload)
            return Sent(item.edit_ref) if edited else PermanentFailure("edited message is gone")
        await asyncio.to_thread(
            self.transcript.deliver, item.target, payload, key=item.key, at=self.clock.now()
        )
        return Sent(item.key)

    async def aclose(self) -> None:
        """Nothing to release: the transcript is a table."""
