"""Turning one cell's text into a typed value, or a reason a person can act on."""

from __future__ import annotations

import re
from datetime import date, datetime

from core.csv_import.amounts import Money, parse_currency, parse_money
from core.csv_import.dates import DateOrder, parse_date, parse_datetime
from core.csv_import.fields import ValueType
from core.identity import company_domain, domain_from_url, normalise_email
from core.model import ActivityKind, DealStatus, LeadStatus
from core.stages import Pipeline

Value = str | int | bool | float | date | datetime | Money | DealStatus | LeadStatus | ActivityKind

_YES = {"true", "yes", "y", "1", "x", "checked", "t"}
_NO = {"false", "no", "n", "0", "unchecked", "f"}
_OUTCOMES = {
    "won": DealStatus.WON,
    "closed won": DealStatus.WON,
    "win": DealStatus.WON,
    "lost": DealStatus.LOST,
    "closed lost": DealStatus.LOST,
    "open": DealStatus.OPEN,
    "in progress": DealStatus.OPEN,
}
# Lead statuses of Salesforce, HubSpot and Pipedrive, by the words they contain; first match wins.
_LEAD_STATUS_WORDS = (
    (
        (
            "not converted",
            "unqualified",
            "disqualified",
            "bad timing",
            "junk",
            "lost",
            "bad fit",
            "unconverted",
        ),
        LeadStatus.DISQUALIFIED,
    ),
    (("converted", "open deal", "customer", "won"), LeadStatus.CONVERTED),
    (("not contacted", "new", "unread"), LeadStatus.NEW),
    (
        (
            "working",
            "contacted",
            "in progress",
            "attempted",
            "connected",
            "nurtur",
            "qualified",
            "engaged",
        ),
        LeadStatus.WORKING,
    ),
    (("open",), LeadStatus.NEW),
)
_ACTIVITY_KINDS = {
    "call": ActivityKind.CALL,
    "phone call": ActivityKind.CALL,
    "phone": ActivityKind.CALL,
    "logged call": ActivityKind.CALL,
    "email": ActivityKind.EMAIL,
    "e-mail": ActivityKind.EMAIL,
    "logged email": ActivityKind.EMAIL,
    "meeting": ActivityKind.MEETING,
    "event": ActivityKind.MEETING,
    "lunch": ActivityKind.MEETING,
    "demo": ActivityKind.MEETING,
    "list email": ActivityKind.EMAIL,
    "note": ActivityKind.NOTE,
    "task": ActivityKind.NOTE,
    "deadline": ActivityKind.NOTE,
    "other": ActivityKind.NOTE,
}


def convert(
    value_type: ValueType, text: str, *, pipeline: Pipeline, order: DateOrder = DateOrder()
) -> Value | None:
    """The typed value of a non-blank cell; ValueError with the reason when it cannot be read."""
    text = text.strip()
    match value_type:
        case ValueType.TEXT:
            return text
        case ValueType.EMAIL:
            return _email(text)
        case ValueType.WEBSITE:
            return _website(text)
        case ValueType.AMOUNT:
            return parse_money(text)
        case ValueType.CURRENCY:
            return parse_currency(text)
        case ValueType.DATE:
            return parse_date(text, order)
        case ValueType.DATETIME:
            return parse_datetime(text, order)
        case ValueType.YES_NO:
            return parse_yes_no(text)
        case ValueType.COUNT:
            return parse_count(text)
        case ValueType.STAGE:
            return _stage(text, pipeline)
    return _status_like(value_type, text)


def _status_like(value_type: ValueType, text: str) -> Value:
    if value_type is ValueType.OUTCOME:
        return _outcome(text)
    if value_type is ValueType.LEAD_STATUS:
        return parse_lead_status(text)
    if value_type is ValueType.ACTIVITY_KIND:
        return _activity_kind(text)
    raise AssertionError(f"no converter for {value_type}")


def parse_yes_no(text: str) -> bool:
    """yes/no, true/false, 1/0, y/n, x (a ticked box) as a bool."""
    key = text.strip().lower()
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise ValueError(f"'{text}' is not yes or no; use yes/no, true/false or 1/0")


def parse_count(text: str) -> int:
    """A whole number such as `1,200`; a range `51-200` or `10,000+` counts as its lower bound."""
    match = re.fullmatch(r"(\d[\d,.\s]*?)\s*(?:\+|[-–]\s*\d[\d,.\s]*)?", text.strip())
    digits = re.sub(r"[,.\s]", "", match.group(1)) if match else ""
    if not digits.isdigit():
        raise ValueError(f"'{text}' is not a whole number")
    return int(digits)


def parse_lead_status(text: str) -> LeadStatus:
    """A lead status from CRM wording (`Closed - Converted`, `IN_PROGRESS`, `Unqualified`)."""
    key = re.sub(r"[\s_]+", " ", text.strip().lower())
    for words, status in _LEAD_STATUS_WORDS:
        if any(word in key for word in words):
            return status
    raise ValueError(
        f"unknown lead status '{text}'; known: new, working, converted, disqualified "
        "(or CRM wording such as 'Open - Not Contacted', 'Closed - Converted', 'Unqualified')"
    )


def _email(text: str) -> str:
    email = normalise_email(text)
    if email is None:
        raise ValueError(f"'{text}' is not an email address")
    return email


def _website(text: str) -> str | None:
    """The company domain; a free-mail domain is no company's website, so it reads as blank."""
    domain = domain_from_url(text)
    if domain is None:
        raise ValueError(f"'{text}' is not a website or domain")
    return company_domain(domain)


def _stage(text: str, pipeline: Pipeline) -> str:
    stage = pipeline.canonical(text)
    if stage is None:
        known = ", ".join(pipeline.all_stages)
        raise ValueError(f"unknown stage '{text}'; known: {known}")
    return stage


def _outcome(text: str) -> DealStatus:
    status = _OUTCOMES.get(re.sub(r"\s+", " ", text.strip().lower()))
    if status is None:
        raise ValueError(f"unknown deal status '{text}'; use open, won or lost")
    return status


def _activity_kind(text: str) -> ActivityKind:
    kind = _ACTIVITY_KINDS.get(re.sub(r"[\s_]+", " ", text.strip().lower()))
    if kind is None:
        raise ValueError(f"unknown activity type '{text}'; known: call, email, meeting, note")
    return kind
