"""An approved follow-up on its way out by SMTP: queued with the approval, sent by the worker.

The approval, its email activity and an outbox row keyed `email:{draft}:{generation}` commit
together, and only then does the delivery worker send it. A second press finds the draft
decided, and the key is unique, so one approval is one email however the commit and the
presses interleave. The activity says "sending" until the worker has sent it ("sent") or given
up ("not sent"); when the mail server refuses it for good, or cannot be reached however often
it is tried, the rep who approved it is also told in their direct messages.
"""

from __future__ import annotations

import dataclasses
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
EMAIL_SENDING, EMAIL_SENT, EMAIL_NOT_SENT = "sending", "sent", "not sent"
"""The email activity's outcome while queued, once sent, and once given up on."""


def email_key(draft_id: int, generation: int) -> str:
    return f"email:{draft_id}:{generation}"


def queue_email(
    uow: UnitOfWork,
    deps: Deps,
    approver: Rep,
    draft: Draft,
    deal_name: str,
    at: datetime,
    *,
    activity_id: int | None,
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
            "activity_id": activity_id,
            "notify": {"platform": notify.platform, "target": notify.target},
        },
        at=at,
    )


def email_sent(deps: Deps, payload: dict[str, Any]) -> None:
    """The mail server took the approved email: its activity on the deal says so."""
    with deps.uow_factory() as uow:
        _email_outcome(uow, payload, EMAIL_SENT)
        uow.commit()


def email_not_sent(deps: Deps, payload: dict[str, Any], why: str) -> None:
    """The approved email will not go out: mark its activity, audit it and tell the approver."""
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
        _email_outcome(uow, payload, EMAIL_NOT_SENT)
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


def _email_outcome(uow: UnitOfWork, payload: dict[str, Any], outcome: str) -> None:
    """The queued email's activity gets `outcome` (rows queued before activities were linked,
    and activities undone since, are left alone)."""
    activity_id = payload.get("activity_id")
    activity = uow.activities.get(int(activity_id)) if activity_id is not None else None
    if activity is not None and activity.outcome != outcome:
        uow.activities.update(dataclasses.replace(activity, outcome=outcome))
