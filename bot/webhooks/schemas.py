"""The webhook bodies as pydantic models: what the OpenAPI page documents and what 422s name.

Limits are deliberate: a name of 200 characters, a message of 5,000, 50 custom fields of 500
characters each. A form that sends more is broken or hostile, and the sender is told which
field is wrong. Unknown top-level fields are kept as custom fields, so a form builder's extra
inputs arrive without configuration.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.identity import normalise_email
from core.intake import LeadSubmission, SignalEvent

Short = Annotated[str, Field(max_length=200)]
MAX_CUSTOM = 50
MAX_CUSTOM_VALUE = 500
MAX_EVENTS = 500
Scalar = str | int | float | bool | None


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59-01:00 is in the year 10000 in UTC
        raise ValueError("is out of range once converted to UTC") from None


class LeadIn(BaseModel):
    """A form submission. At least one of email, phone or external_id identifies the person."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    event_id: Short | None = Field(
        None, description="Your id for this submission; repeats are no-ops."
    )
    external_id: Short | None = Field(None, description="The lead's id in your system.")
    name: Short | None = None
    email: Short | None = None
    company: Short | None = None
    domain: Short | None = Field(None, description="The company's website or domain.")
    phone: Annotated[str, Field(max_length=50)] | None = None
    source: Short | None = Field(
        None, description='Where it came from, e.g. "website", "Demo request".'
    )
    utm_source: Short | None = None
    utm_medium: Short | None = None
    utm_campaign: Short | None = None
    utm_term: Short | None = None
    utm_content: Short | None = None
    message: Annotated[str, Field(max_length=5000)] = Field(
        "", description="Free text from the person; stored and quoted, never acted on."
    )
    demo_request: bool = Field(False, description="The person asked for a demo: always hot.")
    submitted_at: datetime | None = None
    custom: dict[Annotated[str, Field(max_length=100)], Scalar] = Field(
        default_factory=dict, description="Any other fields of the form."
    )

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if normalise_email(value) is None:
            raise ValueError("is not an email address")
        return value

    @field_validator("submitted_at")
    @classmethod
    def _submitted_utc(cls, value: datetime | None) -> datetime | None:
        return _aware(value)

    @model_validator(mode="after")
    def _someone(self) -> LeadIn:
        if not (self.email or self.phone or self.external_id):
            raise ValueError("needs at least one of email, phone or external_id")
        custom = {**self.custom, **(self.model_extra or {})}
        if len(custom) > MAX_CUSTOM:
            raise ValueError(f"at most {MAX_CUSTOM} custom fields")
        for key, value in custom.items():
            if isinstance(value, (dict, list)):
                raise ValueError(f"custom field '{key}' must be text, a number or true/false")
            if value is not None and len(str(value)) > MAX_CUSTOM_VALUE:
                raise ValueError(f"custom field '{key}' is over {MAX_CUSTOM_VALUE} characters")
        return self

    def submission(self) -> LeadSubmission:
        custom = {**self.custom, **(self.model_extra or {})}
        utm = {
            name: value
            for name in ("source", "medium", "campaign", "term", "content")
            if (value := getattr(self, f"utm_{name}"))
        }
        return LeadSubmission(
            name=self.name or None,
            email=self.email,
            company=self.company or None,
            domain=self.domain or None,
            phone=self.phone or None,
            source=self.source or None,
            external_id=self.external_id or None,
            message=self.message,
            utm=utm,
            custom={str(k)[:100]: _text(v) for k, v in custom.items() if v is not None},
            demo_request=self.demo_request,
            submitted_at=_aware(self.submitted_at),
        )


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class SignalIn(BaseModel):
    """A behaviour event. `email`, `lead_external_id` or `domain` says whose it is."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    event_id: Short | None = Field(None, description="Your id for this event; repeats are no-ops.")
    kind: Annotated[str, Field(min_length=1, max_length=50)] = Field(
        description="page_view, email_open, email_click, webinar_attended, product_usage, "
        "trial_signup, demo_request, ..."
    )
    occurred_at: datetime
    detail: Annotated[str, Field(max_length=500)] = Field(
        "", description="The page path or URL, campaign or feature."
    )
    email: Short | None = None
    lead_external_id: Short | None = None
    domain: Short | None = None
    weight: Annotated[float, Field(ge=0, le=100)] = 1.0

    @field_validator("occurred_at")
    @classmethod
    def _occurred_utc(cls, value: datetime) -> datetime:
        return _aware(value) or value

    @model_validator(mode="after")
    def _whose(self) -> SignalIn:
        if not (self.email or self.lead_external_id or self.domain):
            raise ValueError("needs one of email, lead_external_id or domain")
        return self

    def event(self) -> SignalEvent:
        return SignalEvent(
            kind=self.kind,
            occurred_at=_aware(self.occurred_at) or datetime.now(UTC),
            detail=self.detail,
            email=self.email or None,
            lead_external_id=self.lead_external_id or None,
            domain=self.domain or None,
            weight=self.weight,
            event_id=self.event_id,
        )


class SignalBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: Annotated[list[SignalIn], Field(min_length=1, max_length=MAX_EVENTS)]
