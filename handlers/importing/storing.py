"""Storing each kind of record: match it to what is stored, then create or merge it.

Rows without an external id get a stable one (`core.csv_import.merging.import_key`) so a
re-import finds them again; contacts and leads with an email are matched by the email instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from core.csv_import import RecordKind, RowError
from core.csv_import.merging import import_key, merge, start_of_day
from core.csv_import.records import (
    AccountRecord,
    ActivityRecord,
    ContactRecord,
    DealRecord,
    LeadRecord,
)
from core.model import (
    Account,
    Activity,
    Contact,
    Deal,
    DealStatus,
    Lead,
    LeadStatus,
    NextAction,
    StageChange,
)
from handlers.importing.run import ImportRun
from handlers.importing.summary import CREATED, UNCHANGED, UPDATED


def _store_account(run: ImportRun, record: AccountRecord) -> str:
    existing, matched_by = run.find_account(record.external_id, record.domain, record.name)
    run.note_match(matched_by if existing else None)
    incoming: dict[str, Any] = dict(
        name=record.name,
        external_id=record.external_id,
        domain=record.domain,
        industry=record.industry,
        employees=record.employees,
        region=record.region,
        owner_id=run.owner_id(record.owner),
        attributes=record.attributes,
    )
    return run.save(run.uow.accounts, existing, Account(**incoming), incoming)


def with_unmatched_owner(
    attributes: Mapping[str, str], owner: str | None, owner_id: int | None
) -> Mapping[str, str]:
    """Keep an owner who is not a rep (a past employee, another team) as an attribute: who owned
    a deal is one of the strongest signals in a history, even when that person has no login."""
    if owner and owner_id is None:
        return {**attributes, "owner": owner}
    return attributes


def _find_person(run: ImportRun, people: Any, key: str | None, email: str | None) -> Any:
    """A contact or lead already stored: by external (or import) key, then by email."""
    existing = people.find(external_id=key) if key else None
    if existing is None and email:
        existing = people.find(email=email)
        run.note_match("email" if existing else None)
    return existing


def _store_contact(run: ImportRun, record: ContactRecord) -> str:
    contacts = run.uow.contacts
    key = record.external_id or (None if record.email else import_key(record.name, record.account))
    existing = _find_person(run, contacts, key, record.email)
    incoming: dict[str, Any] = dict(
        name=record.name,
        external_id=record.external_id,
        email=record.email,
        phone=record.phone,
        title=record.title,
        account_id=run.account_id(record.account),
        attributes=record.attributes,
    )
    return run.save(contacts, existing, Contact(**{**incoming, "external_id": key}), incoming)


def _store_lead(run: ImportRun, record: LeadRecord) -> str:
    leads = run.uow.leads
    key = record.external_id or (None if record.email else import_key(record.name, record.company))
    existing = _find_person(run, leads, key, record.email)
    incoming: dict[str, Any] = dict(
        name=record.name,
        external_id=record.external_id,
        email=record.email,
        company=record.company,
        domain=record.domain,
        phone=record.phone,
        source=record.source,
        status=record.status,
        owner_id=(owner_id := run.owner_id(record.owner)),
        account_id=run.account_id(record.account),
        created_at=record.created_at,
        converted_at=record.converted_at,
        attributes=with_unmatched_owner(record.attributes, record.owner, owner_id),
    )
    new = Lead(
        **{
            **incoming,
            "external_id": key,
            "created_at": record.created_at or run.now,
            "status": record.status or LeadStatus.NEW,
        }
    )
    return run.save(leads, existing, new, incoming)


def _store_deal(run: ImportRun, record: DealRecord) -> str:
    deals = run.uow.deals
    key = record.external_id or import_key(record.name, record.account)
    existing = deals.find(external_id=key)
    owner_id = run.owner_id(record.owner)
    next_action = None
    if record.next_step:
        next_action = NextAction(record.next_step, record.next_step_due, owner_id)
    contact = run.uow.contacts.find(email=record.contact_email) if record.contact_email else None
    incoming: dict[str, Any] = dict(
        name=record.name,
        external_id=record.external_id,
        amount=record.amount,
        currency=record.currency,
        owner_id=owner_id,
        account_id=run.account_id(record.account),
        contact_id=contact.id if contact else None,
        created_at=record.created_at,
        expected_close=record.expected_close,
        next_action=next_action,
        source=record.source,
        attributes=with_unmatched_owner(record.attributes, record.owner, owner_id),
    )
    if existing is None:
        _add_deal(run, record, {**incoming, "external_id": key})
        return CREATED
    if record.stage != existing.stage:
        moved = merge(existing, incoming | _move_stage(run, existing, record))
        if moved.status is DealStatus.OPEN:
            moved = replace(moved, closed_at=None)
        deals.update(moved)
        return UPDATED
    if record.status is not DealStatus.OPEN:
        incoming["closed_at"] = record.closed_at or start_of_day(record.expected_close)
    return run.save(deals, existing, existing, incoming)


def _add_deal(run: ImportRun, record: DealRecord, fields: dict[str, Any]) -> None:
    """A new deal and its stage history: an open deal entered its stage when it was created.

    A deal that arrives closed gets only its closing change: the file says nothing about the open
    stages it passed, and inventing a first-stage spell would teach the models a false history.
    Without a created date it counts as created when it closed (training then ignores its touches).
    """
    fields = {**fields, "currency": record.currency or "USD"}
    if record.status is DealStatus.OPEN:
        created_at = record.created_at or run.now
        entered = record.stage_entered_at or created_at
        deal = run.uow.deals.add(
            Deal(
                **{
                    **fields,
                    "created_at": created_at,
                    "stage": record.stage,
                    "stage_entered_at": entered,
                }
            )
        )
        _record_change(run, deal, record.stage, created_at, None)
        return
    closed_at = record.closed_at or start_of_day(record.expected_close) or run.now
    created_at = min(record.created_at or closed_at, closed_at)
    deal = run.uow.deals.add(
        Deal(
            **{
                **fields,
                "created_at": created_at,
                "stage": record.stage,
                "status": record.status,
                "stage_entered_at": closed_at,
                "closed_at": closed_at,
            }
        )
    )
    _record_change(run, deal, record.stage, closed_at, None)


def _move_stage(run: ImportRun, existing: Deal, record: DealRecord) -> dict[str, Any]:
    """The fields that change when a re-import shows the deal in another stage, and its history."""
    closing = record.status is not DealStatus.OPEN
    explicit = (record.closed_at or start_of_day(record.expected_close)) if closing else None
    changed_at = explicit or record.stage_entered_at or run.now
    _record_change(run, existing, record.stage, changed_at, existing.stage)
    moved = {"stage": record.stage, "status": record.status, "stage_entered_at": changed_at}
    return moved | ({"closed_at": changed_at} if closing else {})


def _record_change(
    run: ImportRun, deal: Deal, to_stage: str, at: datetime, before: str | None
) -> None:
    assert deal.id is not None, "a stored deal has an id"
    run.uow.deals.add_stage_change(StageChange(deal.id, to_stage, at, before))


def _store_activity(run: ImportRun, record: ActivityRecord) -> str | None:
    activities = run.uow.activities
    key = record.external_id or import_key(
        record.kind,
        record.occurred_at.isoformat(),
        record.deal,
        record.lead,
        record.lead_email,
        record.summary,
    )
    if activities.find(external_id=key) is not None:
        return UNCHANGED
    deal = run.uow.deals.find(external_id=record.deal) if record.deal else None
    lead = _activity_lead(run, record)
    missing = _missing_subject(record, deal is not None, lead is not None)
    if missing:
        run.errors.append(RowError(record.row, "", missing))
        return None
    activities.add(
        Activity(
            kind=record.kind,
            occurred_at=record.occurred_at,
            deal_id=deal.id if deal else None,
            lead_id=lead.id if lead else None,
            rep_id=run.owner_id(record.owner),
            summary=record.summary,
            outcome=record.outcome,
            external_id=key,
        )
    )
    return CREATED


def _activity_lead(run: ImportRun, record: ActivityRecord) -> Lead | None:
    if record.lead:
        return run.uow.leads.find(external_id=record.lead)
    if record.lead_email:
        return run.uow.leads.find(email=record.lead_email)
    return None


def _missing_subject(record: ActivityRecord, deal_found: bool, lead_found: bool) -> str | None:
    if record.deal and not deal_found:
        return f"deal '{record.deal}' is not in dealbot; import the deals first or fix the id"
    lead = record.lead or record.lead_email
    if lead and not lead_found:
        return f"lead '{lead}' is not in dealbot; import the leads first or fix the reference"
    return None


STORE: dict[RecordKind, Callable[[ImportRun, Any], str | None]] = {
    RecordKind.ACCOUNTS: _store_account,
    RecordKind.CONTACTS: _store_contact,
    RecordKind.LEADS: _store_lead,
    RecordKind.DEALS: _store_deal,
    RecordKind.ACTIVITIES: _store_activity,
}
