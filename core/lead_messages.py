"""Lead alerts as neutral messages: the channel alert, the owner's DM, reminders and breaches.

The channel alert is one message per lead that is edited as things happen (accepted, reassigned,
touched, breached), so its `events` lines are the lead's story so far. The channel sees who the
lead is and why it went where it went; contact details and the person's own words go only to
the owner's DM. Free text is quoted, cut, and escaped by every renderer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.commands import FIRST_TOUCH_KINDS, ControlId, lead_value
from core.messages import Button, Control, Field, Message, Option, Section, Select, Style
from core.model import Lead

TIER_MARK = {"hot": "🔥", "warm": "🌤", "cold": "❄️"}
QUOTE_CHARS = 300
MAX_CHOICES = 20


@dataclass(frozen=True, slots=True)
class LeadCard:
    """Everything the alert shows about one lead, gathered by the handler."""

    lead: Lead
    owner_name: str | None
    queue: str = "unassigned"
    due_at: datetime | None = None
    """When the first touch is due (the breach time), if a clock runs."""
    choices: tuple[tuple[int, str], ...] = ()
    """Reps the lead can be reassigned to: (rep id, name)."""
    events: tuple[str, ...] = ()
    """What happened since it arrived, oldest first ("Accepted by Ana at 14:02 UTC")."""
    message_text: str = ""
    """The person's own words (owner's DM only)."""


def lead_title(lead: Lead) -> str:
    mark = TIER_MARK.get(lead.tier or "", "•")
    tier = (lead.tier or "new").capitalize()
    company = f" · {lead.company}" if lead.company else ""
    return f"{mark} {tier} lead: {lead.name}{company}"


def lead_alert(card: LeadCard, *, for_owner: bool = False) -> Message:
    """The channel alert (or, with `for_owner`, the owner's DM with contact details)."""
    lead = card.lead
    sections = [Section(text=_score_line(lead), fields=_fields(card))]
    if for_owner:
        sections.append(_contact_section(card))
    if card.events:
        sections.append(Section(text="\n".join(card.events)))
    return Message(
        summary=_summary(card),
        title=lead_title(lead),
        sections=tuple(sections),
        controls=_controls(card),
        private=False,
    )


def _summary(card: LeadCard) -> str:
    lead = card.lead
    owner = card.owner_name or f"queue '{card.queue}'"
    return f"{lead_title(lead)} (score {_score(lead)}) → {owner}"


def _score(lead: Lead) -> int:
    return round(lead.score or 0)


def _score_line(lead: Lead) -> str:
    parts = [f"Score {_score(lead)}/100"]
    parts.extend(lead.score_reasons)
    return "\n".join(parts)


def _fields(card: LeadCard) -> tuple[Field, ...]:
    lead = card.lead
    owner = card.owner_name or f"Nobody yet (queue '{card.queue}')"
    fields = [Field("Owner", owner)]
    if lead.routing_reason:
        fields.append(Field("Why", lead.routing_reason))
    if lead.source:
        fields.append(Field("Source", lead.source))
    if card.due_at is not None and lead.first_touch_at is None:
        fields.append(Field("First touch due", f"{card.due_at:%H:%M} UTC, {card.due_at:%a %d %b}"))
    return tuple(fields)


def _contact_section(card: LeadCard) -> Section:
    lead = card.lead
    fields = [
        Field(label, value)
        for label, value in (("Email", lead.email), ("Phone", lead.phone))
        if value
    ]
    text = None
    if card.message_text.strip():
        words = " ".join(card.message_text.split())
        cut = words if len(words) <= QUOTE_CHARS else words[: QUOTE_CHARS - 1] + "…"
        text = f"They wrote: “{cut}”"
    return Section(heading="Contact", text=text, fields=tuple(fields))


def _controls(card: LeadCard) -> tuple[Control, ...]:
    lead = card.lead
    if lead.id is None or lead.first_touch_at is not None:
        return ()
    controls: list[Control] = []
    if lead.accepted_at is None:
        controls.append(Button("Accept", ControlId.LEAD_ACCEPT, lead_value(lead.id), Style.PRIMARY))
    if card.choices:
        options = tuple(
            Option(name, lead_value(lead.id, rep_id)) for rep_id, name in card.choices[:MAX_CHOICES]
        )
        controls.append(Select("Reassign to…", ControlId.LEAD_REASSIGN, options))
    touches = tuple(
        Option(kind.value.capitalize(), lead_value(lead.id, kind.value))
        for kind in FIRST_TOUCH_KINDS
    )
    controls.append(Select("Log first touch…", ControlId.LEAD_TOUCH, touches))
    return tuple(controls)


def sla_reminder(lead: Lead, *, left: str) -> Message:
    """To the owner, before the breach."""
    text = f"First touch for {lead.name} is due in {left}. Call or email, then log it on the alert."
    return Message(
        summary=f"⏳ {lead.name}: first touch due in {left}",
        title="⏳ Response clock",
        sections=(Section(text=text),),
        private=False,
    )


def sla_breach(lead: Lead, *, owner_name: str | None, elapsed: str) -> Message:
    """To the team channel, when the target passes without a first touch."""
    who = owner_name or "nobody (still in the queue)"
    text = f"{lead_title(lead)} has waited {elapsed} without a first touch. Owner: {who}."
    return Message(
        summary=f"⏰ SLA breached: {lead.name}, {elapsed}, owner {who}",
        title="⏰ Response time breached",
        sections=(Section(text=text),),
        private=False,
    )


def sla_escalation(
    lead: Lead, *, owner_name: str | None, elapsed: str, new_owner: str | None = None
) -> Message:
    """To the manager at the second threshold (and who has it now, if it was reassigned)."""
    who = owner_name or "nobody"
    lines = [f"{lead_title(lead)} has waited {elapsed} without a first touch. Owner: {who}."]
    if new_owner:
        lines.append(f"Reassigned to {new_owner}.")
    return Message(
        summary=f"🚨 Escalated: {lead.name}, {elapsed} without a first touch",
        title="🚨 Escalation",
        sections=(Section(text="\n".join(lines)),),
        private=False,
    )
