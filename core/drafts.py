"""Follow-up emails drafted for a deal, reviewed by a person, and what they decided.

A draft is requested from a button, written later by the drafting worker (the model, or the
template when there is none or it fails), shown to the rep as a card, and then approved as
written, approved after an edit, or rejected. Nothing leaves without that approval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher
from enum import StrEnum


class DraftStatus(StrEnum):
    REQUESTED = "requested"
    """Waiting for the drafting worker (just pressed, or Regenerate)."""
    DRAFTING = "drafting"
    """Claimed by a worker that is writing it now."""
    READY = "ready"
    """Written and shown to the rep: waiting for Approve, Edit, Regenerate or Reject."""
    APPROVED = "approved"
    REJECTED = "rejected"


class DraftOutcome(StrEnum):
    APPROVED = "approved"
    """Approved as written."""
    EDITED = "edited"
    """Approved after an edit."""
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Draft:
    """One follow-up email for a deal, from request to decision."""

    deal_id: int
    rep_id: int
    """The deal's owner: whose follow-up this is (the learning loop counts it for them)."""
    requested_by: int
    """Who pressed Draft follow-up; the card goes to them."""
    requested_at: datetime
    id: int | None = None
    status: DraftStatus = DraftStatus.REQUESTED
    generation: int = 1
    """1 for the first text, one more for every Regenerate; each text gets its own card."""
    subject: str = ""
    body: str = ""
    """The text as written for review (by the model or the template)."""
    model: str = ""
    """Who wrote it: a model name, or `template`."""
    note: str | None = None
    """Why the template stands in for the model (it failed or took too long), shown on the card."""
    written_at: datetime | None = None
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    to_email: str | None = None
    """The deal contact's address when the draft was written (None: the rep adds one)."""
    outcome: DraftOutcome | None = None
    decided_by: int | None = None
    decided_at: datetime | None = None
    final_subject: str | None = None
    final_body: str | None = None
    """What was approved (the edited text after an edit)."""
    change_ratio: float = 0.0
    sent_via: str | None = None
    """How the approved email left: `copy` (recorded; the rep sends it) or `smtp`."""


@dataclass(frozen=True, slots=True)
class DraftDecision:
    """A person's decision on a draft, for the learning loop and the ROI report."""

    draft_id: int
    rep_id: int
    deal_id: int
    outcome: str
    """"approved" (as written), "edited" (approved after an edit), "rejected"."""
    decided_at: datetime
    """Aware UTC."""
    change_ratio: float
    """0.0 unchanged .. 1.0 all new; 0.0 for rejected."""


def change_ratio(before: str, after: str) -> float:
    """How much of `after` is new compared with `before`: 0.0 unchanged .. 1.0 all new."""
    if before == after:
        return 0.0
    same = SequenceMatcher(None, before, after, autojunk=False).ratio()
    return round(1.0 - same, 4)


def decision_of(draft: Draft) -> DraftDecision | None:
    """The decision a decided draft records; None while it waits."""
    if draft.outcome is None or draft.decided_at is None or draft.id is None:
        return None
    return DraftDecision(
        draft_id=draft.id,
        rep_id=draft.rep_id,
        deal_id=draft.deal_id,
        outcome=draft.outcome.value,
        decided_at=draft.decided_at,
        change_ratio=draft.change_ratio if draft.outcome is not DraftOutcome.REJECTED else 0.0,
    )


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    """An approved follow-up, as the email sender gets it."""

    to: str | None
    subject: str
    body: str
    reply_to: str
    """The rep's address, so answers go to them."""
    message_id: str | None = None
    """A fixed Message-ID for this approval, so a resend of the same email is recognisable."""


class ModelUnavailable(Exception):
    """The model gave no usable draft (timeout, rate limit, an error); says why, in words."""


class EmailNotSent(Exception):
    """The email sender could not send; says why, in words a rep can act on.

    `code` is a short reason without customer data (it is stored with the outbox row);
    `permanent` means trying again cannot help (a refused address or login).
    """

    def __init__(self, why: str, *, code: str = "not sent", permanent: bool = False) -> None:
        super().__init__(why)
        self.code, self.permanent = code, permanent
