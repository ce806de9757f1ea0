"""What arrives at the intake webhooks, as plain values, and the keys used to recognise people.

A form submission becomes a `LeadSubmission`, a behaviour event a `SignalEvent`. Identity keys
are normalised here once (email lower-cased, the company domain from the website or the email
but never a free-mail domain), so matching a returning visitor does not depend on how a form
spelled them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from core.identity import company_domain, normalise_email

TRUTHY = frozenset({"1", "true", "yes", "y", "on"})


@dataclass(frozen=True, slots=True)
class LeadSubmission:
    """A form submission: who, from where, what they wrote, and any custom fields."""

    name: str | None = None
    email: str | None = None
    company: str | None = None
    domain: str | None = None
    phone: str | None = None
    source: str | None = None
    external_id: str | None = None
    message: str = ""
    """Free text from the person: stored on the lead's timeline, only ever quoted, never obeyed."""
    utm: Mapping[str, str] = field(default_factory=dict)
    custom: Mapping[str, str] = field(default_factory=dict)
    demo_request: bool = False
    submitted_at: datetime | None = None

    @property
    def email_key(self) -> str | None:
        return normalise_email(self.email)

    @property
    def domain_key(self) -> str | None:
        """The company's domain from the website field or the email, never a free-mail one."""
        return company_domain(self.domain) or company_domain(self.email)

    def display_name(self) -> str:
        """A name for the lead: the person, else the address's local part, else the company."""
        if self.name and self.name.strip():
            return self.name.strip()
        if self.email_key:
            return self.email_key.split("@", 1)[0]
        return (self.company or "").strip() or "Unnamed lead"

    def attributes(self) -> dict[str, str]:
        """Custom fields and UTM tags as lead attributes (model features), never the free text."""
        values = {f"utm_{k.removeprefix('utm_')}": v for k, v in self.utm.items() if v}
        values.update({k: v for k, v in self.custom.items() if v != ""})
        if self.demo_request:
            values["demo_request"] = "true"
        return values


@dataclass(frozen=True, slots=True)
class SignalEvent:
    """One behaviour event: a page view, an email open or click, a webinar, product usage."""

    kind: str
    occurred_at: datetime
    detail: str = ""
    """The page path or URL, the campaign, the feature used; no personal data."""
    email: str | None = None
    lead_external_id: str | None = None
    domain: str | None = None
    weight: float = 1.0
    event_id: str | None = None

    @property
    def email_key(self) -> str | None:
        return normalise_email(self.email)

    @property
    def domain_key(self) -> str | None:
        return company_domain(self.domain) or company_domain(self.email)


def is_truthy(text: str | None) -> bool:
    return (text or "").strip().lower() in TRUTHY
