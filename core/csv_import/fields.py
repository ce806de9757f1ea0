"""What each record kind can hold: our field names, their value types, and what is required.

Field names are what `--map COLUMN=FIELD` takes. A column that maps to no field is kept as a
custom attribute of the record (column name -> raw text).
"""

from __future__ import annotations

from enum import StrEnum


class RecordKind(StrEnum):
    ACCOUNTS = "accounts"
    CONTACTS = "contacts"
    DEALS = "deals"
    LEADS = "leads"
    ACTIVITIES = "activities"


class ValueType(StrEnum):
    TEXT = "text"
    EMAIL = "email"
    WEBSITE = "website"
    AMOUNT = "amount"
    CURRENCY = "currency"
    DATE = "date"
    DATETIME = "datetime"
    YES_NO = "yes/no"
    COUNT = "count"
    STAGE = "stage"
    OUTCOME = "outcome"
    LEAD_STATUS = "lead status"
    ACTIVITY_KIND = "activity kind"


IGNORE = "-"
"""A map value that drops a column: neither a field nor a custom attribute."""

T = ValueType
_ACCOUNT_REFERENCE = {"account": T.TEXT, "account_external_id": T.TEXT, "account_domain": T.WEBSITE}
_PERSON_NAME = {"name": T.TEXT, "first_name": T.TEXT, "last_name": T.TEXT}

FIELDS: dict[RecordKind, dict[str, ValueType]] = {
    RecordKind.ACCOUNTS: {
        "external_id": T.TEXT,
        "name": T.TEXT,
        "domain": T.WEBSITE,
        "industry": T.TEXT,
        "employees": T.COUNT,
        "region": T.TEXT,
        "owner": T.TEXT,
    },
    RecordKind.CONTACTS: {
        "external_id": T.TEXT,
        **_PERSON_NAME,
        "email": T.EMAIL,
        "phone": T.TEXT,
        "title": T.TEXT,
        **_ACCOUNT_REFERENCE,
    },
    RecordKind.LEADS: {
        "external_id": T.TEXT,
        **_PERSON_NAME,
        "email": T.EMAIL,
        "phone": T.TEXT,
        "company": T.TEXT,
        "domain": T.WEBSITE,
        "account_external_id": T.TEXT,
        "source": T.TEXT,
        "status": T.LEAD_STATUS,
        "converted": T.YES_NO,
        "owner": T.TEXT,
        "created_at": T.DATETIME,
        "converted_at": T.DATETIME,
    },
    RecordKind.DEALS: {
        "external_id": T.TEXT,
        "name": T.TEXT,
        "stage": T.STAGE,
        "outcome": T.OUTCOME,
        "won": T.YES_NO,
        "closed": T.YES_NO,
        "amount": T.AMOUNT,
        "currency": T.CURRENCY,
        "owner": T.TEXT,
        **_ACCOUNT_REFERENCE,
        "contact_email": T.EMAIL,
        "created_at": T.DATETIME,
        "close_date": T.DATE,
        "closed_at": T.DATETIME,
        "stage_entered_at": T.DATETIME,
        "next_step": T.TEXT,
        "next_step_due": T.DATE,
        "source": T.TEXT,
    },
    RecordKind.ACTIVITIES: {
        "external_id": T.TEXT,
        "kind": T.ACTIVITY_KIND,
        "occurred_at": T.DATETIME,
        "summary": T.TEXT,
        "outcome": T.TEXT,
        "owner": T.TEXT,
        "deal": T.TEXT,
        "lead": T.TEXT,
        "lead_email": T.EMAIL,
    },
}

REQUIRED_COLUMNS: dict[RecordKind, tuple[tuple[str, ...], ...]] = {
    RecordKind.ACCOUNTS: (("name",),),
    RecordKind.CONTACTS: (("name", "first_name", "last_name", "email"),),
    RecordKind.LEADS: (("name", "first_name", "last_name", "email", "company", "external_id"),),
    RecordKind.DEALS: (("name", "external_id"), ("stage", "outcome", "won")),
    RecordKind.ACTIVITIES: (("kind",), ("occurred_at",)),
}
"""Per kind, groups of fields of which at least one must have a column."""
