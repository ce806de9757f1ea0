"""An approved follow-up on its way out by SMTP: queued with the approval, sent by the worker.

The approval, its email activity and an outbox row keyed `email:{draft}:{generation}` commit
together, and only then does the delivery worker send it. A second press finds the draft
decided, and the key is unique, so one approval is one email however the commit and the
presses interleave. When the mail server refuses it for good, the rep who approved it is told
in their direct messages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.drafts import Draft
from core.messages import Message, Section, message_to_dict
from core.model import Rep
from core.ports import UnitOfWork
from handlers.deps import Deps

EMAIL_PLATFORM = "email"
EMAIL_KIND = "email"
FAILED_KIND = "email_failed"


def email_key(draft_id: int, generation: int) -> str:
    return f"email:{draft_id}:{generation}"


def queue_email(
    uow: UnitOfWork, deps: Deps, approver: Rep, draft: Draft, deal_name: str, at: datetime
) -> None:
    """Queue the approved email for the delivery worker, in the approval's transaction."""
    notify = deps.desk.destinations.dm(approver)
    uow.outbox.enqueue(
        key=email_key(draft.id or 0, draft.generation),
        platform=EMAIL_PLATFORM,
        target=draft.to_email or "",
        payload={
            "kind": EMAIL_KIND,
            "draft_id": draft.id,
            "generation": draft.generation,
            "deal_name": deal_name,
            "subject": draft.final_subject or draft.subject,
            "body": draft.final_body or draft.body,
            "reply_to": approver.email,
            "notify": {"platform": notify.platform, "target": notify.target},
        },
        at=at,
    )


def email_not_sent(deps: Deps, payload: dict[str, Any], why: str) -> None:
    """The mail server refused the approved email for good: audit it and tell the approver."""
    at = deps.clock.now()
    draft_id, generation = int(payload["draft_id"]), int(payload["generation"])
    deal_name = str(payload.get("deal_name") or "the deal")
    notify = payload.get("notify") or {}
    message = Message(
        summary=f"The follow-up for {deal_name} was not sent",
        title=f"Follow-up not sent: {deal_name}",
        sections=(
            Section(
                text=(
                    f"The email you approved for {deal_name} was not sent: {why}. "
                    "Fix the address or the mail settings and send it from your own email; "
                    "it is still recorded on the deal."
                )
            ),
        ),
        private=False,
    )
    with deps.uow_factory() as uow:
        uow.audit.record(
            actor="system:email",
            action="draft.email_failed",
            subject=f"draft:{draft_id}",
            before={"generation": generation},
            after={"sent": False},
            at=at,
        )
        if notify.get("platform") and notify.get("target"):
            uow.outbox.enqueue(
                key=f"{email_key(draft_id, generation)}:failed",
                platform=str(notify["platform"]),
                target=str(notify["target"]),
                payload={"kind": FAILED_KIND, "message": message_to_dict(message)},
                at=at,
            )
        uow.commit()
