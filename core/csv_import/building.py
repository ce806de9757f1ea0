"""From one row's typed values to a record of its kind, with the cross-field rules.

Deals: an explicit status column (`open`/`won`/`lost`, or Salesforce's `Won`/`Closed` flags)
decides over the stage; a closing status sets the stage to Won or Lost. Leads: `converted`
decides over the status column. Names fall back to first + last name, then the email.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from core.csv_import.amounts import Money
from core.csv_import.fields import RecordKind
from core.csv_import.records import (
    AccountRecord,
    AccountRef,
    ActivityRecord,
    ContactRecord,
    DealRecord,
    LeadRecord,
    Record,
    RowError,
    RowValues,
)
from core.identity import company_domain
from core.model import ActivityKind, DealStatus, LeadStatus
from core.stages import LOST, WON, Pipeline


def build_account(row: RowValues, pipeline: Pipeline) -> AccountRecord | RowError:
    name = row.text("name")
    if not name:
        return row.missing("name")
    return AccountRecord(
        row=row.row,
        name=name,
        external_id=row.text("external_id"),
        domain=row.text("domain"),
        industry=row.text("industry"),
        employees=row.get("employees", int),
        region=row.text("region"),
        owner=row.text("owner"),
        attributes=row.attributes,
    )


def build_contact(row: RowValues, pipeline: Pipeline) -> ContactRecord | RowError:
    name = _person_name(row)
    if not name:
        return row.missing("name")
    return ContactRecord(
        row=row.row,
        name=name,
        external_id=row.text("external_id"),
        email=row.text("email"),
        phone=row.text("phone"),
        title=row.text("title"),
        account=_account_ref(row),
        attributes=row.attributes,
    )


def build_lead(row: RowValues, pipeline: Pipeline) -> LeadRecord | RowError:
    external_id = row.text("external_id")
    name = _person_name(row) or row.text("company")
    if name is None and external_id and "name" not in row.columns:
        name = f"Lead {external_id}"
    if not name:
        return row.missing("name")
    status = row.get("status", LeadStatus)
    converted = row.get("converted", bool)
    if converted is True:
        status = LeadStatus.CONVERTED
    elif converted is False and status is None:
        # An outcome column without a status column: "not converted" is the lead's outcome.
        status = LeadStatus.DISQUALIFIED
    domain = row.text("domain") or company_domain(row.text("email"))
    account = AccountRef(
        external_id=row.text("account_external_id"), domain=domain, name=row.text("company")
    )
    return LeadRecord(
        row=row.row,
        name=name,
        external_id=row.text("external_id"),
        email=row.text("email"),
        company=row.text("company"),
        domain=domain,
        phone=row.text("phone"),
        source=row.text("source"),
        status=status,
        owner=row.text("owner"),
        created_at=row.get("created_at", datetime),
        converted_at=row.get("converted_at", datetime),
        account=account,
        attributes=row.attributes,
    )


def build_deal(row: RowValues, pipeline: Pipeline) -> DealRecord | RowError:
    external_id = row.text("external_id")
    name = row.text("name")
    if name is None and "name" not in row.columns:  # an export with ids only: name it from them
        name = _deal_name_from(row.text("account"), external_id)
    if not name:
        return row.missing("name")
    stage = _deal_stage(row)
    if stage is None:
        return row.missing("stage")
    if isinstance(stage, RowError):
        return stage
    money = row.get("amount", Money)
    return DealRecord(
        row=row.row,
        name=name,
        stage=stage,
        status=pipeline.status_of(stage),
        external_id=row.text("external_id"),
        amount=money.amount if money else None,
        currency=row.text("currency") or (money.currency if money else None),
        owner=row.text("owner"),
        account=_account_ref(row),
        contact_email=row.text("contact_email"),
        created_at=row.get("created_at", datetime),
        expected_close=row.get("close_date", date),
        closed_at=row.get("closed_at", datetime),
        stage_entered_at=row.get("stage_entered_at", datetime),
        next_step=row.text("next_step"),
        next_step_due=row.get("next_step_due", date),
        source=row.text("source"),
        attributes=row.attributes,
    )


def build_activity(row: RowValues, pipeline: Pipeline) -> ActivityRecord | RowError:
    kind = row.get("kind", ActivityKind)
    if kind is None:
        return row.missing("kind")
    occurred_at = row.get("occurred_at", datetime)
    if occurred_at is None:
        return row.missing("occurred_at")
    return ActivityRecord(
        row=row.row,
        kind=kind,
        occurred_at=occurred_at,
        external_id=row.text("external_id"),
        summary=row.text("summary") or "",
        outcome=row.text("outcome"),
        owner=row.text("owner"),
        deal=row.text("deal"),
        lead=row.text("lead"),
        lead_email=row.text("lead_email"),
    )


BUILDERS: dict[RecordKind, Callable[[RowValues, Pipeline], Record | RowError]] = {
    RecordKind.ACCOUNTS: build_account,
    RecordKind.CONTACTS: build_contact,
    RecordKind.LEADS: build_lead,
    RecordKind.DEALS: build_deal,
    RecordKind.ACTIVITIES: build_activity,
}


def _deal_name_from(account: str | None, external_id: str | None) -> str | None:
    """A name for an export without one (some datasets carry only ids): "Acme 0A1B" or the id."""
    if not external_id:
        return None
    return f"{account} {external_id}" if account else f"Deal {external_id}"


def _person_name(row: RowValues) -> str | None:
    full = " ".join(part for part in (row.text("first_name"), row.text("last_name")) if part)
    return row.text("name") or full or row.text("email")


def _account_ref(row: RowValues) -> AccountRef:
    domain = row.text("account_domain") or company_domain(row.text("email"))
    return AccountRef(
        external_id=row.text("account_external_id"), domain=domain, name=row.text("account")
    )


def _deal_stage(row: RowValues) -> str | RowError | None:
    stage = row.text("stage")
    status = row.get("outcome", DealStatus)
    won, closed = row.get("won", bool), row.get("closed", bool)
    if status is None and won is True:
        status = DealStatus.WON
    elif status is None and closed is True and won is False:
        status = DealStatus.LOST
    elif status is None and closed is False:
        status = DealStatus.OPEN
    if status is DealStatus.WON:
        return WON
    if status is DealStatus.LOST:
        return LOST
    if status is DealStatus.OPEN and stage in (WON, LOST):
        columns = ", ".join(row.columns.get("stage", ()))
        return RowError(
            row.row,
            columns,
            f"stage '{stage}' is closed but the deal's status says open; correct one of them",
        )
    return stage
