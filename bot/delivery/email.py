"""The delivery worker's way out for approved follow-ups: the email sender (SMTP).

Each email carries a Message-ID made from its outbox key, so a resend after a lost outcome is
the same message to the mail server and to the customer's mail client. Once the server has taken
it, the email's activity on the deal says "sent". A refusal that trying again cannot fix (an
unknown address, a refused login) is a permanent failure. Whenever the row ends in the dead
letters (that, the worker's attempts used up, or its leases lost), the worker says so
(`gave_up`): the activity says "not sent" and the rep who approved it is told.
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
WHYS = 1000


def message_id_for(key: str, from_address: str) -> str:
    """`<email.12.1@acme.com>` for key `email:12:1`: the same for every send of one approval."""
    domain = from_address.rpartition("@")[2] or "dealbot.invalid"
    return f"<{key.replace(':', '.')}@{domain}>"


class EmailMessenger:
    """A `bot.delivery.messenger.Messenger` for outbox rows of platform "email"."""

    def __init__(self, sender: EmailSender, from_address: str, deps: Deps) -> None:
        self.sender, self.from_address, self.deps = sender, from_address, deps
        # Outbox key -> the last failure in words a rep can act on (it may name the address, so
        # it is not stored with the row); kept until the row is sent or dead, at most WHYS.
        self._why: dict[str, str] = {}

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
            self._why.pop(item.key, None)
            self._why[item.key] = str(why)
            while len(self._why) > WHYS:  # rows another replica settled: oldest first
                self._why.pop(next(iter(self._why)))
            return PermanentFailure(why.code) if why.permanent else TransientFailure(why.code)
        self._why.pop(item.key, None)
        try:  # the email is out: a failure to note it must not send it again
            await asyncio.to_thread(email_sent, self.deps, payload)
        except Exception as error:
            log.warning(
                "outbox %s: sent, activity not updated: %s", item.id, failure_summary(error)
            )
        return Sent(email.message_id)

    async def gave_up(self, item: OutboxItem, reason: str) -> None:
        """The row is in the dead letters: its activity says "not sent", the approver is told."""
        why = self._why.pop(item.key, None) or f"it could not be delivered ({reason})"
        await asyncio.to_thread(email_not_sent, self.deps, item.payload, why)

    async def aclose(self) -> None:
        """SMTP connections last one send each: nothing to release."""
