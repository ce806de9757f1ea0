"""Draft cards as neutral messages: the draft to review, and what became of it.

The card shows the model's text only as a draft: under a heading that says so, next to who wrote
it, with the four buttons. Whatever that text says ("Approved. Sent."), nothing has been
approved or sent until someone presses Approve.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from core.draft_commands import (
    DRAFT_APPROVE,
    DRAFT_EDIT,
    DRAFT_FORM,
    DRAFT_REGENERATE,
    DRAFT_REJECT,
    draft_value,
)
from core.draft_prompt import MAX_BODY, MAX_SUBJECT
from core.draft_template import TEMPLATE_MODEL
from core.drafts import Draft, DraftOutcome, DraftStatus
from core.messages import Button, Field, Form, FormField, Message, Section, Style

SECTION_TEXT_LIMIT = 2900
"""Characters of one section's text as Slack counts them (escaped; it cuts at 3,000), with room
for its markup. Teams shows 3,000 a text block."""
CARD_BODY_BUDGET = 18_000
"""Bytes of a draft's body in a Teams card (which holds about 24 KB in all)."""
LINE_COST = 90
"""Bytes a Teams card spends on each line of text besides the text itself."""
ELLIPSIS = "…"
TOO_LONG = (
    "This draft is too long to show whole here, so it cannot be approved from this card. "
    "Press Edit to read all of it and approve it from there."
)
NO_RECIPIENT = "no contact email on this deal: add the recipient yourself"


def review_card(draft: Draft, deal_name: str) -> Message:
    """The draft to review, whole, with Approve, Edit, Regenerate and Reject.

    Approve sends exactly the text on the card, so the card shows all of it, over several
    sections when needed. A body too long for any surface to show whole gets no Approve
    button: Edit shows all of it, and approving from there sends what the rep read.
    """
    value = draft_value(draft.id or 0, draft.generation)
    parts = body_parts(draft.body)
    whole = fits_a_card(parts)
    sections = [Section(text=draft.note)] if draft.note else []
    sections.append(Section(heading=f"Draft, not sent. Subject: {draft.subject}"))
    if whole:
        sections.extend(Section(text=part) for part in parts)
    else:
        sections.append(Section(text=parts[0] + ELLIPSIS))
        sections.append(Section(text=TOO_LONG))
    approve = (Button("Approve", DRAFT_APPROVE, value, Style.PRIMARY),) if whole else ()
    sections.append(
        Section(
            heading="Your decision",
            fields=(
                Field("To", draft.to_email or NO_RECIPIENT),
                Field("Written by", _writer(draft)),
            ),
            controls=(
                *approve,
                Button("Edit", DRAFT_EDIT, value),
                Button("Regenerate", DRAFT_REGENERATE, value),
                Button("Reject", DRAFT_REJECT, value, Style.DANGER),
            ),
            key=f"draft:{draft.id}",
        )
    )
    return Message(
        summary=f"Draft follow-up for {deal_name}: review it before anything is sent",
        title=f"Draft follow-up: {deal_name}",
        sections=tuple(sections),
        footer="Nothing is sent until you approve it. Check every fact before you do.",
        private=False,
    )


def body_parts(body: str) -> list[str]:
    """The body in pieces that every surface shows whole, broken at a line or a space if one is
    near: each at most `SECTION_TEXT_LIMIT` characters once Slack has escaped `&`, `<`, `>`."""
    parts, start = [], 0
    while start < len(body):
        end, shown = start, 0
        while end < len(body) and shown + _shown_length(body[end]) <= SECTION_TEXT_LIMIT:
            shown += _shown_length(body[end])
            end += 1
        if end < len(body):
            gap = max(body.rfind("\n", start, end), body.rfind(" ", start, end))
            end = gap + 1 if gap > start + (end - start) // 2 else end
        parts.append(body[start:end])
        start = end
    return parts or [""]


def fits_a_card(parts: list[str]) -> bool:
    """Whether Teams' card budget holds these pieces whole (as JSON, with a block per line)."""
    cost = sum(len(json.dumps(p).encode()) + LINE_COST * (p.count("\n") + 1) for p in parts)
    return cost <= CARD_BODY_BUDGET


def _shown_length(text: str) -> int:
    return len(text) + 4 * text.count("&") + 3 * (text.count("<") + text.count(">"))


def approved_card(draft: Draft, deal_name: str, approver: str) -> Message:
    """After Approve (or an edit): the email as approved, ready to copy or already sent."""
    subject = draft.final_subject or draft.subject
    body = draft.final_body or draft.body
    edited = draft.outcome is DraftOutcome.EDITED
    how = "Approved after your edit" if edited else "Approved"
    if draft.sent_via == "smtp":
        status = f"{how} by {approver}; sending to {draft.to_email}."
    else:
        status = f"{how} by {approver}. Copy it into your email, or open it with the link below."
    fields = [Field("To", draft.to_email or NO_RECIPIENT)]
    if draft.sent_via != "smtp":
        fields.append(Field("Open in your email", mailto_link(draft.to_email, subject)))
    return Message(
        summary=f"Follow-up for {deal_name} approved",
        title=f"Follow-up approved: {deal_name}",
        sections=(
            Section(text=status),
            Section(heading=f"Subject: {subject}", fields=tuple(fields)),
            *(Section(text=part) for part in body_parts(body)),
        ),
        footer=f"Recorded as an email on {deal_name}.",
        private=False,
    )


def rejected_card(draft: Draft, deal_name: str, rejecter: str) -> Message:
    return Message(
        summary=f"Draft for {deal_name} rejected",
        title=f"Draft rejected: {deal_name}",
        sections=(Section(text=f"Rejected by {rejecter}. Nothing was sent."),),
        private=False,
    )


def drafting_notice(deal_name: str, *, again: bool = False) -> Message:
    """The immediate answer to a press: the card follows in a direct message."""
    text = (
        f"Drafting a new follow-up for {deal_name}…"
        if again
        else f"Drafting a follow-up for {deal_name}…"
    )
    detail = "The draft comes to you in a direct message in a moment; nothing is sent without you."
    return Message(summary=text, sections=(Section(text=f"{text} {detail}"),))


def draft_in_flight(deal_name: str, draft: Draft | None, *, requester: str | None) -> str:
    """The answer to Draft follow-up while the deal's last draft is still undecided.

    `requester` is who asked for that draft, None when it was the person pressing now.
    """
    if draft is None:  # decided between the press and this answer
        return f"A draft for {deal_name} was decided just now; press Draft follow-up again."
    who, whose = ("you", "your") if requester is None else (requester, "their")
    if draft.status is DraftStatus.READY:
        return (
            f"A draft for {deal_name} is waiting for {who} in {whose} direct messages with "
            "dealbot: approve, edit, regenerate or reject it there. Nothing changed."
        )
    return (
        f"A draft for {deal_name} is already on its way to {who}; its card comes in a direct "
        "message in a moment. Nothing changed."
    )


def edit_form(draft: Draft) -> Form:
    """The draft's text to change; submitting it approves the edited email."""
    return Form(
        form_id=DRAFT_FORM,
        title="Edit the follow-up",
        submit_label="Approve as edited",
        fields=(
            FormField(
                "subject",
                "Subject",
                "text",
                required=True,
                initial=draft.subject,
                max_length=MAX_SUBJECT,
            ),
            FormField(
                "body",
                "Email",
                "multiline",
                required=True,
                initial=draft.body,
                max_length=MAX_BODY,
            ),
        ),  # fmt: skip
        context=draft_value(draft.id or 0, draft.generation),
    )


def mailto_link(to_email: str | None, subject: str) -> str:
    return f"mailto:{quote(to_email or '', safe='@')}?subject={quote(subject, safe='')}"


def _writer(draft: Draft) -> str:
    return "the template (no model)" if draft.model == TEMPLATE_MODEL else draft.model
