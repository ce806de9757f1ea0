"""Activities the Bot Framework delivers again: each runs once.

The Bot Connector posts an activity again, with the same id, when our answer was slow or lost. The
first delivery claims `teams-activity:{conversation id}:{activity id}` (the id is unique within
its conversation, so both are needed), the same idempotency keys Slack's redelivered events use;
a repeat does nothing and sends nothing. An invoke must still be answered: a repeat gets the answer
the first delivery gave (the card shown in place of the pressed one, or its notice), or, while the
first is still running, a notice that the press is being handled. Like Slack's, the keys are kept.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from botbuilder.schema import Activity, ActivityTypes

from bot.services import Services
from bot.teams.replies import message_response

STILL_RUNNING = "Already on it: that press is being handled."


@dataclass(frozen=True, slots=True)
class Deliveries:
    services: Services

    async def first(self, activity: Activity) -> bool:
        """True for the first delivery of the activity (and for activities without an id)."""
        key = delivery_key(activity)
        if key is None:
            return True
        return await asyncio.to_thread(self._claim, key)

    async def keep_answer(self, activity: Activity, status: int, body: Any) -> None:
        """Remember an invoke's answer for its repeats."""
        key = delivery_key(activity)
        if key is None or activity.type != ActivityTypes.invoke:
            return
        answer = json.dumps({"status": status, "body": body})
        await asyncio.to_thread(self._set_result, key, answer)

    async def earlier_answer(self, activity: Activity) -> tuple[int, Any]:
        """(HTTP status, body) for a repeat: nothing for a message, the first answer for an
        invoke."""
        key = delivery_key(activity)
        if key is None or activity.type != ActivityTypes.invoke:
            return 200, None
        kept = await asyncio.to_thread(self._result, key)
        if kept is None:
            running = message_response(STILL_RUNNING)
            return int(running.status), running.body
        answer = json.loads(kept)
        return int(answer["status"]), answer["body"]

    def _claim(self, key: str) -> bool:
        with self.services.uow_factory() as uow:
            first = uow.idempotency.claim(key, at=self.services.clock.now())
            uow.commit()
            return first

    def _set_result(self, key: str, answer: str) -> None:
        with self.services.uow_factory() as uow:
            uow.idempotency.set_result(key, answer)
            uow.commit()

    def _result(self, key: str) -> str | None:
        with self.services.uow_factory() as uow:
            return uow.idempotency.result(key)


def delivery_key(activity: Activity) -> str | None:
    """`teams-activity:{conversation id}:{activity id}`; None when either is missing."""
    conversation = activity.conversation.id if activity.conversation else None
    if not activity.id or not conversation:
        return None
    return f"teams-activity:{conversation}:{activity.id}"
