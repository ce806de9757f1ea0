"""Draft follow-up and the buttons on a draft's card: Approve, Edit, Regenerate, Reject.

Only the deal's owner (their manager, an admin) may decide. Every decision is a compare-and-set
on the draft's status and generation, so a second press, a press on an older card or a press
from another device says so and changes nothing. An approved email is queued with the approval
for the delivery worker (SMTP when configured, see `handlers.draft_email`) or is recorded for
the rep to copy; either way it is an email touch on the deal. Every change is audit-logged.
While a deal's draft is undecided, another Draft follow-up press says where that draft is and
queues nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime, timedelta

from core.draft_commands import (
    ApproveDraft,
    EditDraft,
    OpenDraftEdit,
    RegenerateDraft,
    RejectDraft,
    RequestDraft,
    read_draft_value,
)
from core.draft_messages import (
    approved_card,
    draft_in_flight,
    drafting_notice,
    edit_form,
    rejected_card,
)
from core.draft_prompt import MAX_BODY, MAX_SUBJECT
from core.drafts import (
    Draft,
    DraftOutcome,
    DraftStatus,
    change_ratio,
)
from core.model import Activity, ActivityKind, Deal, DealStatus, Rep
from core.permissions import can_act_for
from core.ports import UnitOfWork
from handlers.deals import acting_rep
from handlers.deps import Deps, Reply
from handlers.draft_email import EMAIL_SENDING, queue_email
from handlers.errors import AlreadyHandled, FieldErrors, NotAllowed, UserError

ABANDONED_AFTER = timedelta(days=7)
"""An undecided draft older than this no longer blocks a new Draft follow-up on its deal."""
GONE = "That draft no longer exists. Press Draft follow-up on the deal for a new one."
NOT_YOURS = "That deal belongs to someone else, so you can't draft or decide its follow-ups."
NO_RECIPIENT = (
    "This deal has no contact email, so dealbot can't send the follow-up. Add the contact's "
    "email to the deal (import it from your CRM) and approve again; nothing changed."
)


def request_draft(command: RequestDraft, deps: Deps) -> Reply:
    """Queue a draft for the deal; the drafting worker writes it and the card follows."""
    at = deps.clock.now()
    with deps.uow_factory() as uow:
        actor = acting_rep(uow, command.actor_id)
        deal = uow.deals.get(command.deal_id)
        if deal is None:
            raise UserError("That deal no longer exists; /deals shows your current list.")
        owner = _owner(uow, deal, actor)
        if deal.status is not DealStatus.OPEN:
            raise AlreadyHandled(f"{deal.name} is closed, so there is no follow-up to draft.")
        draft = _add_request(
            uow, deps, Draft(deal.id or 0, owner.id or 0, actor.id or 0, at), owner
        )
        if draft is None:  # one undecided draft per deal, however many presses and processes
            raise AlreadyHandled(_in_flight_text(uow, deal, actor))
        _audit(uow, deps, actor, "draft.request", None, {"deal": deal.id}, draft)
        uow.commit()
    return Reply(message=drafting_notice(deal.name))


def _add_request(uow: UnitOfWork, deps: Deps, request: Draft, owner: Rep) -> Draft | None:
    """The stored request; None while the deal's undecided draft still has someone to decide it.

    An undecided draft whose requester can no longer act for the deal's owner (the deal was
    reassigned) or that waited over `ABANDONED_AFTER` would block the deal for good: it is
    closed without an outcome, as no decision was made, and the new request takes its place.
    """
    draft = uow.drafts.add_request(request)
    if draft is not None:
        return draft
    pending = uow.drafts.undecided_for_deal(request.deal_id)
    if pending is None or not _abandoned(uow, pending, owner, request.requested_at):
        return None
    closed = dataclasses.replace(pending, status=DraftStatus.REJECTED, claimed_by=None)
    if not uow.drafts.replace(closed, expected=pending):
        return None
    actor = uow.reps.get(request.requested_by) or owner
    _audit(uow, deps, actor, "draft.close_abandoned", _state(pending), _state(closed), closed)
    return uow.drafts.add_request(request)


def _abandoned(uow: UnitOfWork, pending: Draft, owner: Rep, at: datetime) -> bool:
    if at - pending.requested_at > ABANDONED_AFTER:
        return True
    requester = uow.reps.get(pending.requested_by)
    return requester is None or not can_act_for(requester, owner)


def approve_draft(command: ApproveDraft, deps: Deps) -> Reply:
    """Approve the draft as written."""
    return _approve(command.actor_id, command.draft_id, command.generation, deps, None)


def edit_draft(command: EditDraft, deps: Deps) -> Reply:
    """Approve the draft with the text from the edit form; how much changed is recorded."""
    errors = _text_errors(command.subject, command.body)
    if errors:
        raise FieldErrors(errors)
    edit = (command.subject.strip(), command.body.strip())
    return _approve(command.actor_id, command.draft_id, command.generation, deps, edit)


def reject_draft(command: RejectDraft, deps: Deps) -> Reply:
    """Reject: nothing is sent, and the decision is kept."""
    at = deps.clock.now()
    with deps.uow_factory() as uow:
        actor, draft, deal = _open_draft(
            uow, command.actor_id, command.draft_id, command.generation
        )
        decided = dataclasses.replace(
            draft,
            status=DraftStatus.REJECTED,
            outcome=DraftOutcome.REJECTED,
            decided_by=actor.id,
            decided_at=at,
            change_ratio=0.0,
        )
        _decide(uow, decided, draft)
        _audit(uow, deps, actor, "draft.reject", _state(draft), _state(decided), decided)
        uow.commit()
    return Reply(message=rejected_card(decided, deal.name, actor.name), replace=True)


def regenerate_draft(command: RegenerateDraft, deps: Deps) -> Reply:
    """Write the draft again: back to the drafting worker as the next generation."""
    at = deps.clock.now()
    with deps.uow_factory() as uow:
        actor, draft, deal = _open_draft(
            uow, command.actor_id, command.draft_id, command.generation
        )
        again = dataclasses.replace(
            draft,
            status=DraftStatus.REQUESTED,
            generation=draft.generation + 1,
            requested_by=actor.id or draft.requested_by,
            requested_at=at,
            note=None,
        )
        _decide(uow, again, draft)
        _audit(uow, deps, actor, "draft.regenerate", _state(draft), _state(again), again)
        uow.commit()
    return Reply(message=drafting_notice(deal.name, again=True), replace=True)


def open_draft_edit(command: OpenDraftEdit, deps: Deps) -> Reply:
    """The edit form, filled with the draft's text."""
    with deps.uow_factory() as uow:
        _, draft, _ = _open_draft(uow, command.actor_id, command.draft_id, command.generation)
    return Reply(form=edit_form(draft))


def read_draft_form(actor_id: int, context: str, values: Mapping[str, str | None]) -> EditDraft:
    """The submitted edit form as a command, or every problem at once as field errors."""
    found = read_draft_value(context)
    if found is None:
        raise UserError("That form is out of date; press Edit on the draft's card again.")
    subject, body = (values.get("subject") or "").strip(), (values.get("body") or "").strip()
    errors = _text_errors(subject, body)
    if errors:
        raise FieldErrors(errors)
    return EditDraft(actor_id, found[0], found[1], subject, body)


def _text_errors(subject: str, body: str) -> dict[str, str]:
    errors = {}
    if not subject.strip():
        errors["subject"] = "Give the email a subject."
    elif "\r" in subject or "\n" in subject:
        errors["subject"] = "Keep the subject on one line: remove the line break."
    elif len(subject) > MAX_SUBJECT:
        errors["subject"] = (
            f"Keep the subject under {MAX_SUBJECT} characters (this is {len(subject)})."
        )
    if not body.strip():
        errors["body"] = "The email is empty: write the follow-up, or Reject the draft instead."
    elif len(body) > MAX_BODY:
        errors["body"] = (
            f"Keep the email under {MAX_BODY:,} characters (this is {len(body):,}); "
            "a follow-up that long rarely gets read."
        )
    return errors


def _approve(
    actor_id: int, draft_id: int, generation: int, deps: Deps, edit: tuple[str, str] | None
) -> Reply:
    at = deps.clock.now()
    with deps.uow_factory() as uow:
        actor, draft, deal = _open_draft(uow, actor_id, draft_id, generation)
        subject, body = edit or (draft.subject, draft.body)
        ratio = change_ratio(f"{draft.subject}\n\n{draft.body}", f"{subject}\n\n{body}")
        sender = deps.email_sender
        if sender is not None and not draft.to_email:
            raise UserError(NO_RECIPIENT)
        decided = dataclasses.replace(
            draft,
            status=DraftStatus.APPROVED,
            outcome=DraftOutcome.EDITED if ratio > 0 else DraftOutcome.APPROVED,
            decided_by=actor.id,
            decided_at=at,
            final_subject=subject,
            final_body=body,
            change_ratio=ratio,
            sent_via="smtp" if sender is not None else "copy",
        )
        _decide(uow, decided, draft)
        activity = uow.activities.add(
            Activity(
                kind=ActivityKind.EMAIL,
                occurred_at=at,
                deal_id=deal.id,
                rep_id=actor.id,
                summary=f"Follow-up email: {subject}",
                outcome=EMAIL_SENDING if sender is not None else "approved to send",
                surface=deps.surface,
            )
        )
        what = "draft.edit" if edit is not None else "draft.approve"
        _audit(uow, deps, actor, what, _state(draft), _state(decided), decided)
        if sender is not None:  # sent by the delivery worker once this approval is committed
            queue_email(uow, deps, actor, decided, deal.name, at, activity_id=activity.id)
        uow.commit()
    return Reply(message=approved_card(decided, deal.name, actor.name), replace=True)


def _open_draft(
    uow: UnitOfWork, actor_id: int, draft_id: int, generation: int
) -> tuple[Rep, Draft, Deal]:
    actor = acting_rep(uow, actor_id)
    draft = uow.drafts.get(draft_id)
    deal = uow.deals.get(draft.deal_id) if draft is not None else None
    if draft is None or deal is None:
        raise UserError(GONE)
    _owner(uow, deal, actor)
    if draft.status is not DraftStatus.READY or draft.generation != generation:
        raise AlreadyHandled(_stale_text(uow, draft, generation))
    return actor, draft, deal


def _owner(uow: UnitOfWork, deal: Deal, actor: Rep) -> Rep:
    """The deal's owner, when `actor` may act for them (the owner, their manager, an admin)."""
    owner = uow.reps.get(deal.owner_id) if deal.owner_id is not None else None
    if not can_act_for(actor, owner):
        raise NotAllowed(NOT_YOURS)
    return owner or actor


def _in_flight_text(uow: UnitOfWork, deal: Deal, actor: Rep) -> str:
    pending = uow.drafts.undecided_for_deal(deal.id or 0)
    if pending is None or pending.requested_by == actor.id:
        return draft_in_flight(deal.name, pending, requester=None)
    requester = uow.reps.get(pending.requested_by)
    return draft_in_flight(deal.name, pending, requester=requester.name if requester else "someone")


def _decide(uow: UnitOfWork, changed: Draft, expected: Draft) -> None:
    if not uow.drafts.replace(changed, expected=expected):
        now = uow.drafts.get(expected.id or 0) or expected
        raise AlreadyHandled(_stale_text(uow, now, expected.generation))


def _stale_text(uow: UnitOfWork, draft: Draft, generation: int) -> str:
    if draft.status in (DraftStatus.APPROVED, DraftStatus.REJECTED):
        who = uow.reps.get(draft.decided_by) if draft.decided_by is not None else None
        by = f" by {who.name}" if who else ""
        return f"This draft was already {draft.status.value}{by}; nothing changed."
    if draft.status in (DraftStatus.REQUESTED, DraftStatus.DRAFTING):
        return "A new version of this draft is being written; its card comes in a moment. Nothing changed."
    if draft.generation != generation:
        return (
            "This card shows an older version of the draft; use the newest card. Nothing changed."
        )
    return "This draft changed meanwhile; nothing changed."


def _state(draft: Draft) -> dict[str, object]:
    return {
        "status": draft.status.value,
        "generation": draft.generation,
        "outcome": draft.outcome.value if draft.outcome else None,
        "change_ratio": draft.change_ratio,
        "model": draft.model or None,
    }


def _audit(
    uow: UnitOfWork,
    deps: Deps,
    actor: Rep,
    what: str,
    before: object,
    after: object,
    stored: Draft,
) -> None:
    uow.audit.record(
        actor=f"rep:{actor.id} via {deps.surface}",
        action=what,
        subject=f"draft:{stored.id}",
        before=before,
        after=after,
        at=deps.clock.now(),
    )
