"""Draft cards as neutral messages: the draft to review, and what became of it.

The card shows the model's text only as a draft: under a heading that says so, next to who wrote
it, with the four buttons. Whatever that text says ("Approved. Sent."), nothing has been
approved or sent until someone presses Approve.
"""

from __future__ import annotations

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

PREVIEW_CHARS = 2500
NO_RECIPIENT = "no contact email on this deal: add the recipient yourself"


def review_card(draft: Draft, deal_name: str) -> Message:
    """The draft to review, with Approve, Edit, Regenerate and Reject."""
    value = draft_value(draft.id or 0, draft.generation)
    sections = []
    if draft.note:
        sections.append(Section(text=draft.note))
    sections.append(
        Section(
            heading=f"Draft, not sent. Subject: {draft.subject}",
            text=_preview(draft.body),
            fields=(
                Field("To", draft.to_email or NO_RECIPIENT),
                Field("Written by", _writer(draft)),
            ),
            controls=(
                Button("Approve", DRAFT_APPROVE, value, Style.PRIMARY),
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
            *(Section(text=part) for part in _parts(body)),
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


def _parts(body: str) -> list[str]:
    """The whole approved text, in pieces every surface shows whole (Slack: 3,000 a section)."""
    return [body[start : start + PREVIEW_CHARS] for start in range(0, len(body), PREVIEW_CHARS)]


def _preview(body: str) -> str:
    return body if len(body) <= PREVIEW_CHARS else body[: PREVIEW_CHARS - 1] + "…"
