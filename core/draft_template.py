"""The follow-up email written without a model: from the same facts, with no model needed.

It is what every draft falls back to when no model is configured, or the model fails or takes
too long. It uses the deal's facts (contact, stage, next step, the last touch's date) and never
quotes what a customer wrote: that stays on the card for the rep to read.
"""

from __future__ import annotations

from datetime import date, timedelta

from core.draft_prompt import DraftFacts

TEMPLATE_MODEL = "template"

_STAGE_LINES = {
    "prospecting": "I'd love to find out whether we can help {account}.",
    "qualification": "I'd like to make sure we understand what {account} needs.",
    "demo": "I hope the demo was useful for the team at {account}.",
    "proposal": "I wanted to check whether the proposal answers your questions.",
    "negotiation": "I'd like to help us close out the remaining points on the agreement.",
}
_DEFAULT_STAGE_LINE = "I wanted to pick up where we left off."


def template_email(facts: DraftFacts) -> tuple[str, str]:
    """(subject, body) of a plain, sensible follow-up from the deal's facts."""
    account = facts.account or "your team"
    greeting = f"Hi {facts.contact.split()[0]}," if facts.contact else "Hello,"
    thanks = _thanks(facts)
    stage_line = _STAGE_LINES.get(facts.stage.lower(), _DEFAULT_STAGE_LINE).format(account=account)
    paragraphs = [greeting, f"{thanks} {stage_line}".strip()]
    if facts.next_step:
        step = facts.next_step[:1].lower() + facts.next_step[1:]
        due = f" by {_day(facts.next_step_due, facts.today)}" if facts.next_step_due else ""
        paragraphs.append(f"As a next step, I'll {step}{due}. Does that still work for you?")
    else:
        paragraphs.append("Would a short call this week suit you to agree on next steps?")
    paragraphs.append(f"Best regards,\n{facts.rep}")
    subject = f"Next steps: {facts.deal}" if facts.next_step else f"Following up: {facts.deal}"
    return subject, "\n\n".join(paragraphs)


def _thanks(facts: DraftFacts) -> str:
    if not facts.touches:
        return "Thank you for your interest."
    last = facts.touches[0]
    when = _day(last.on, facts.today)
    what = {"call": "call", "meeting": "meeting", "email": "note"}.get(last.kind, "conversation")
    return f"Thank you for the {what} {when}."


def _day(day: date, today: date) -> str:
    if day == today:
        return "today"
    if day == today - timedelta(days=1):
        return "yesterday"
    if day == today + timedelta(days=1):
        return "tomorrow"
    if abs((day - today).days) < 7:
        return ("on " if day < today else "") + day.strftime("%A")
    return f"on {day.day} {day.strftime('%B')}"
