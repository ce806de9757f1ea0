"""The delivery worker's way out for approved follow-ups: the email sender (SMTP).

Each email carries a Message-ID made from its outbox key, so a resend after a lost outcome is
the same message to the mail server and to the customer's mail client. Once the server has taken
it, the email's activity on the deal says "sent". A refusal that trying again cannot fix (an
unknown address, a refused login) is a permanent failure, and an unreachable server on the last
attempt the worker allows ends the same way: the row goes to the dead letters, the activity says
"not sent" and the rep who approved it is told.
"""

from __future__ import annotations

import asyncio
import logging

from bot.delivery.messenger import Outcome, PermanentFailure, Sent, TransientFailure
from bot.failures import failure_summary
from core.drafts import EmailNotSent, OutgoingEmail
from core.ports import EmailSender, OutboxItem
from handlers.deps import Deps
from handlers.draft_email import email_not_sent, email_sent

log = logging.getLogger("dealbot.delivery")


def message_id_for(key: str, from_address: str) -> str:
    """`<email.12.1@acme.com>` for key `email:12:1`: the same for every send of one approval."""
    domain = from_address.rpartition("@")[2] or "dealbot.invalid"
    return f"<{key.replace(':', '.')}@{domain}>"


class EmailMessenger:
    """A `bot.delivery.messenger.Messenger` for outbox rows of platform "email"."""

    def __init__(
        self, sender: EmailSender, from_address: str, deps: Deps, *, max_attempts: int
    ) -> None:
        """`max_attempts`: the delivery worker's, so the last transient failure is known here."""
        self.sender, self.from_address, self.deps = sender, from_address, deps
        self.max_attempts = max_attempts

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
            last = item.attempts + 1 >= self.max_attempts
            if not why.permanent and not last:
                return TransientFailure(why.code)
            await asyncio.to_thread(email_not_sent, self.deps, payload, str(why))
            return PermanentFailure(why.code) if why.permanent else TransientFailure(why.code)
        try:  # the email is out: a failure to note it must not send it again
            await asyncio.to_thread(email_sent, self.deps, payload)
        except Exception as error:
            log.warning(
                "outbox %s: sent, activity not updated: %s", item.id, failure_summary(error)
            )
        return Sent(email.message_id)

    async def aclose(self) -> None:
        """SMTP connections last one send each: nothing to release."""
