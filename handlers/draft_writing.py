"""The drafting worker's use cases: claim requested drafts, write each, send its card.

The model is called outside any transaction (it may take many seconds). A draft is claimed with
a compare-and-set, so two workers never write the same one, and written back only while the
claim still holds. Whatever the model does (no answer, an error, an empty answer) the draft is
written: by the template, with a note on the card saying why.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

from core.draft_messages import review_card
from core.draft_prompt import DraftFacts, prompt_messages, read_email
from core.draft_template import TEMPLATE_MODEL, template_email
from core.drafts import Draft, DraftStatus, ModelUnavailable
from core.messages import message_to_dict
from core.ports import Drafter
from handlers.deps import Deps
from handlers.draft_facts import deal_context

log = logging.getLogger(__name__)

DRAFT_KIND = "draft"


def claim_drafts(deps: Deps, *, worker: str, stale_after: timedelta, limit: int) -> list[Draft]:
    """Requested drafts (and ones whose writer went silent for `stale_after`), now this worker's."""
    at = deps.clock.now()
    claimed = []
    with deps.uow_factory() as uow:
        for draft in uow.drafts.claimable(stale_before=at - stale_after, limit=limit):
            mine = dataclasses.replace(
                draft, status=DraftStatus.DRAFTING, claimed_by=worker, claimed_at=at
            )
            if uow.drafts.replace(mine, expected=draft):
                claimed.append(mine)
        uow.commit()
    return claimed


def write_draft(deps: Deps, drafter: Drafter | None, draft: Draft) -> bool:
    """Write a claimed draft and queue its card to whoever asked; False when the claim was lost."""
    with deps.uow_factory() as uow:
        context = deal_context(uow, draft, at=deps.clock.now())
    subject, body, model, note = compose(context.facts, drafter)
    at = deps.clock.now()
    written = dataclasses.replace(
        draft,
        status=DraftStatus.READY,
        subject=subject,
        body=body,
        model=model,
        note=note,
        written_at=at,
        claimed_by=None,
        claimed_at=None,
        to_email=context.to_email,
    )
    with deps.uow_factory() as uow:
        if not uow.drafts.replace(written, expected=draft):
            return False
        requester = uow.reps.get(draft.requested_by)
        if requester is not None:
            target = deps.desk.destinations.dm(requester)
            card = review_card(written, context.deal_name)
            uow.outbox.enqueue(
                key=f"draft:{draft.id}:{draft.generation}",
                platform=target.platform,
                target=target.target,
                payload={
                    "kind": DRAFT_KIND,
                    "draft_id": draft.id,
                    "message": message_to_dict(card),
                },
                at=at,
            )
        uow.commit()
    return True


def compose(facts: DraftFacts, drafter: Drafter | None) -> tuple[str, str, str, str | None]:
    """(subject, body, who wrote it, note): the model's email, else the template's with why."""
    subject, body = template_email(facts)
    if drafter is None:
        return subject, body, TEMPLATE_MODEL, None
    try:
        answer = drafter.write(prompt_messages(facts))
    except ModelUnavailable as why:
        return subject, body, TEMPLATE_MODEL, f"{why}; this is the template draft."
    except Exception:
        log.exception("the drafter failed in an unexpected way; the template stands in")
        return subject, body, TEMPLATE_MODEL, "The model failed; this is the template draft."
    model_subject, model_body = read_email(answer, default_subject=subject)
    if not model_body:
        return (
            subject,
            body,
            TEMPLATE_MODEL,
            "The model's answer was empty; this is the template draft.",
        )
    return model_subject, model_body, drafter.model, None
