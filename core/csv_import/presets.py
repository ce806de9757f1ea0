"""Column names of the standard CSV exports of Salesforce, HubSpot and Pipedrive.

Columns match case-insensitively and ignoring surrounding whitespace. Anything a preset does not
name becomes a custom attribute unless `--map` says otherwise. The generic preset (always
applied under a CRM preset) accepts our own field names, with `_` or spaces.
"""

from __future__ import annotations

import re

from core.csv_import.fields import FIELDS, RecordKind

Preset = dict[RecordKind, dict[str, str]]
A, C, D, L, V = (
    RecordKind.ACCOUNTS,
    RecordKind.CONTACTS,
    RecordKind.DEALS,
    RecordKind.LEADS,
    RecordKind.ACTIVITIES,
)

SALESFORCE: Preset = {
    A: {
        "Account ID": "external_id",
        "Account Name": "name",
        "Website": "domain",
        "Industry": "industry",
        "Employees": "employees",
        "Billing Country": "region",
        "Account Owner": "owner",
    },
    C: {
        "Contact ID": "external_id",
        "First Name": "first_name",
        "Last Name": "last_name",
        "Full Name": "name",
        "Email": "email",
        "Phone": "phone",
        "Title": "title",
        "Account Name": "account",
        "Account ID": "account_external_id",
    },
    D: {
        "Opportunity ID": "external_id",
        "Opportunity Name": "name",
        "Account Name": "account",
        "Account ID": "account_external_id",
        "Amount": "amount",
        "Opportunity Currency": "currency",
        "Stage": "stage",
        "Close Date": "close_date",
        "Created Date": "created_at",
        "Opportunity Owner": "owner",
        "Lead Source": "source",
        "Next Step": "next_step",
        "Won": "won",
        "Closed": "closed",
    },
    L: {
        "Lead ID": "external_id",
        "First Name": "first_name",
        "Last Name": "last_name",
        "Email": "email",
        "Company": "company",
        "Lead Source": "source",
        "Lead Status": "status",
        "Converted": "converted",
        "Created Date": "created_at",
        "Converted Date": "converted_at",
        "Lead Owner": "owner",
        "Website": "domain",
        "Phone": "phone",
    },
    V: {
        "Activity ID": "external_id",
        "Task Subtype": "kind",
        "Type": "kind",
        "Date": "occurred_at",
        "Subject": "summary",
        "Assigned": "owner",
        "Opportunity ID": "deal",
        "Lead ID": "lead",
    },
}

HUBSPOT: Preset = {
    A: {
        "Record ID": "external_id",
        "Company name": "name",
        "Company Domain Name": "domain",
        "Industry": "industry",
        "Number of Employees": "employees",
        "Country/Region": "region",
        "Company owner": "owner",
    },
    C: {
        "Record ID": "external_id",
        "First Name": "first_name",
        "Last Name": "last_name",
        "Email": "email",
        "Phone Number": "phone",
        "Job Title": "title",
        "Company Name": "account",
        "Associated Company": "account",
    },
    D: {
        "Record ID": "external_id",
        "Deal Name": "name",
        "Deal Stage": "stage",
        "Amount": "amount",
        "Currency": "currency",
        "Close Date": "close_date",
        "Create Date": "created_at",
        "Deal owner": "owner",
        "Associated Company": "account",
        "Original Source Type": "source",
    },
    L: {
        "Record ID": "external_id",
        "First Name": "first_name",
        "Last Name": "last_name",
        "Email": "email",
        "Phone Number": "phone",
        "Company Name": "company",
        "Website URL": "domain",
        "Lead Status": "status",
        "Contact owner": "owner",
        "Create Date": "created_at",
        "Original Source": "source",
    },
    V: {
        "Record ID": "external_id",
        "Activity type": "kind",
        "Activity date": "occurred_at",
        "Activity assigned to": "owner",
        "Call notes": "summary",
        "Call outcome": "outcome",
    },
}

PIPEDRIVE: Preset = {
    A: {
        "Organization - ID": "external_id",
        "Organization - Name": "name",
        "Organization - Website": "domain",
        "Organization - Owner": "owner",
        "Organization - Industry": "industry",
        "Organization - Number of employees": "employees",
    },
    C: {
        "Person - ID": "external_id",
        "Person - Name": "name",
        "Person - Email": "email",
        "Person - Phone": "phone",
        "Person - Job title": "title",
        "Person - Organization": "account",
    },
    D: {
        "Deal - ID": "external_id",
        "Deal - Title": "name",
        "Deal - Value": "amount",
        "Deal - Currency": "currency",
        "Deal - Stage": "stage",
        "Deal - Status": "outcome",
        "Deal - Owner": "owner",
        "Deal - Organization": "account",
        "Deal - Deal created": "created_at",
        "Deal - Expected close date": "close_date",
        "Deal - Won time": "closed_at",
        "Deal - Lost time": "closed_at",
        "Deal - Last stage change": "stage_entered_at",
        "Deal - Next activity date": "next_step_due",
        "Deal - Source channel": "source",
    },
    L: {
        "Lead - ID": "external_id",
        "Lead - Title": "name",
        "Lead - Owner": "owner",
        "Lead - Source": "source",
        "Lead - Organization": "company",
        "Lead - Lead created": "created_at",
        "Person - Email": "email",
        "Person - Phone": "phone",
    },
    V: {
        "Activity - ID": "external_id",
        "Activity - Type": "kind",
        "Activity - Due date": "occurred_at",
        "Activity - Subject": "summary",
        "Activity - Note": "outcome",
        "Activity - Assigned to user": "owner",
        "Deal - ID": "deal",
    },
}

_GENERIC_SYNONYMS: dict[str, str] = {
    "id": "external_id",
    "owner email": "owner",
    "email address": "email",
    "website": "domain",
    "created": "created_at",
    "created date": "created_at",
    "close date": "close_date",
}

PRESETS: dict[str, Preset] = {"salesforce": SALESFORCE, "hubspot": HUBSPOT, "pipedrive": PIPEDRIVE}


def column_key(name: str) -> str:
    """How column names are compared: case-insensitive, whitespace trimmed and collapsed."""
    return re.sub(r"\s+", " ", name.strip().lower())


def preset_columns(preset: str | None, kind: RecordKind) -> dict[str, str]:
    """Column key -> field for a preset (None or 'generic' for our own field names only)."""
    name = (preset or "generic").strip().lower()
    if name != "generic" and name not in PRESETS:
        known = ", ".join(["generic", *PRESETS])
        raise ValueError(f"unknown preset '{preset}'; known: {known}")
    columns = {column_key(f.replace("_", " ")): f for f in FIELDS[kind]}
    columns |= {column_key(f): f for f in FIELDS[kind]}
    columns |= {k: f for k, f in _GENERIC_SYNONYMS.items() if f in FIELDS[kind]}
    if name in PRESETS:
        columns |= {column_key(column): f for column, f in PRESETS[name][kind].items()}
    return columns
