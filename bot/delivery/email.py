"""The delivery worker's way out for approved follow-ups: the email sender (SMTP).

Each email carries a Message-ID made from its outbox key, so a resend after a lost outcome is
the same message to the mail server and to the customer's mail client. A refusal that trying
again cannot fix (an unknown address, a refused login) is a permanent failure: the row goes to
the dead letters and `on_refused` tells the rep who approved it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from bot.delivery.messenger import Outcome, PermanentFailure, Sent, TransientFailure
from core.drafts import EmailNotSent, OutgoingEmail
from core.ports import EmailSender, OutboxItem


def message_id_for(key: str, from_address: str) -> str:
    """`<email.12.1@acme.com>` for key `email:12:1`: the same for every send of one approval."""
    domain = from_address.rpartition("@")[2] or "dealbot.invalid"
    return f"<{key.replace(':', '.')}@{domain}>"


class EmailMessenger:
    """A `bot.delivery.messenger.Messenger` for outbox rows of platform "email"."""

    def __init__(
        self,
        sender: EmailSender,
        from_address: str,
        on_refused: Callable[[dict[str, Any], str], None],
    ) -> None:
        self.sender, self.from_address, self.on_refused = sender, from_address, on_refused

    async def send(self, item: OutboxItem) -> Outcome:
        payload = item.payload
        email = OutgoingEmail(
            item.target or None,
            str(payload["subject"]),
            str(payload["body"]),
            str(payload["reply_to"]),
            message_id=message_id_for(item.key, self.from_address),
        )
        try:
            await asyncio.to_thread(self.sender.send, email)
        except EmailNotSent as why:
            if not why.permanent:
                return TransientFailure(why.code)
            await asyncio.to_thread(self.on_refused, payload, str(why))
            return PermanentFailure(why.code)
        return Sent(email.message_id)

    async def aclose(self) -> None:
        """SMTP connections last one send each: nothing to release."""
