"""Commands about follow-up drafts: request one from a list item, then review it on its card.

Review presses carry `<draft id>|<generation>`, so a press on the card of an earlier text (before
a Regenerate) is recognised as out of date instead of deciding on text nobody looked at.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.ids import parse_id

DRAFT = "dealbot.draft"
DRAFT_APPROVE = "dealbot.draft_approve"
DRAFT_EDIT = "dealbot.draft_edit"
DRAFT_REGENERATE = "dealbot.draft_regenerate"
DRAFT_REJECT = "dealbot.draft_reject"
DRAFT_FORM = "dealbot.draft_form"


@dataclass(frozen=True, slots=True)
class RequestDraft:
    """Draft follow-up: queue a draft for the deal; the card comes when it is written."""

    actor_id: int
    deal_id: int


@dataclass(frozen=True, slots=True)
class ApproveDraft:
    actor_id: int
    draft_id: int
    generation: int


@dataclass(frozen=True, slots=True)
class RejectDraft:
    actor_id: int
    draft_id: int
    generation: int


@dataclass(frozen=True, slots=True)
class RegenerateDraft:
    actor_id: int
    draft_id: int
    generation: int


@dataclass(frozen=True, slots=True)
class OpenDraftEdit:
    actor_id: int
    draft_id: int
    generation: int


@dataclass(frozen=True, slots=True)
class EditDraft:
    """The edit form, submitted: approve the draft with this text instead."""

    actor_id: int
    draft_id: int
    generation: int
    subject: str
    body: str


DraftCommand = (
    RequestDraft | ApproveDraft | RejectDraft | RegenerateDraft | OpenDraftEdit | EditDraft
)

_REVIEW: dict[str, type[ApproveDraft | RejectDraft | RegenerateDraft | OpenDraftEdit]] = {
    DRAFT_APPROVE: ApproveDraft,
    DRAFT_REJECT: RejectDraft,
    DRAFT_REGENERATE: RegenerateDraft,
    DRAFT_EDIT: OpenDraftEdit,
}
CONTROLS = frozenset({DRAFT, *_REVIEW})


def draft_value(draft_id: int, generation: int) -> str:
    return f"{draft_id}|{generation}"


def read_draft_value(value: str) -> tuple[int, int] | None:
    """(draft id, generation) from a review control's value or the edit form's context."""
    draft, _, generation = value.partition("|")
    draft_id, number = parse_id(draft), parse_id(generation, lowest=0)
    if draft_id is None or number is None:
        return None
    return draft_id, number


def draft_command(actor_id: int, control: str, value: str) -> DraftCommand | None:
    """The command behind a draft control (its action id and value), or None when mangled."""
    if control == DRAFT:  # a list item's control: `<action uuid>|<deal id>|<list view>`
        parts = value.split("|")
        deal_id = parse_id(parts[1]) if len(parts) == 3 else None
        return RequestDraft(actor_id, deal_id) if deal_id is not None else None
    found = read_draft_value(value)
    review = _REVIEW.get(control)
    if found is None or review is None:
        return None
    return review(actor_id, *found)
