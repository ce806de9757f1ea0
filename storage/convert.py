"""Rows to core values and back. Enum and time fields are the only ones that need care."""

from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import date, time
from functools import cache
from typing import Any, TypeVar

from core.model import (
    Account,
    Action,
    ActionKind,
    ActionStatus,
    Activity,
    ActivityKind,
    Contact,
    Deal,
    DealStatus,
    Lead,
    LeadStatus,
    NextAction,
    Rep,
    Role,
    Signal,
    StageChange,
    Team,
)
from storage.tables import (
    AccountRow,
    ActionRow,
    ActivityRow,
    ContactRow,
    RepRow,
    SignalRow,
    StageChangeRow,
    TeamRow,
)

V = TypeVar("V")


@cache
def _field_names(value_type: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(value_type))


def _plain(value_type: type[V], row: Any, **overrides: Any) -> V:
    values = {n: getattr(row, n) for n in _field_names(value_type) if n not in overrides}
    return value_type(**values, **overrides)


def row_values(value: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {f.name: getattr(value, f.name) for f in fields(value) if f.name not in skip}


def name_key(name: str) -> str:
    """Case- and space-insensitive key for matching names typed by people."""
    return " ".join(name.lower().split())


def rep_from_row(row: RepRow) -> Rep:
    return _plain(
        Rep,
        row,
        role=Role(row.role),
        working_days=tuple(int(d) for d in row.working_days.split(",") if d != ""),
        work_start=time.fromisoformat(row.work_start),
        work_end=time.fromisoformat(row.work_end),
        holidays=tuple(date.fromisoformat(d) for d in row.holidays),
        territories=tuple(row.territories),
        segments=tuple(row.segments),
    )


def rep_to_row(rep: Rep) -> dict[str, Any]:
    values = row_values(rep)
    values.update(
        role=rep.role.value,
        working_days=",".join(str(d) for d in rep.working_days),
        work_start=rep.work_start.strftime("%H:%M"),
        work_end=rep.work_end.strftime("%H:%M"),
        holidays=[d.isoformat() for d in rep.holidays],
        territories=list(rep.territories),
        segments=list(rep.segments),
    )
    return values


def team_from_row(row: TeamRow) -> Team:
    return _plain(Team, row)


def account_from_row(row: AccountRow) -> Account:
    return _plain(Account, row, attributes=dict(row.attributes or {}))


def account_to_row(account: Account) -> dict[str, Any]:
    return {
        **row_values(account),
        "attributes": dict(account.attributes),
        "name_key": name_key(account.name),
    }


def contact_from_row(row: ContactRow) -> Contact:
    return _plain(Contact, row, attributes=dict(row.attributes or {}))


def contact_to_row(contact: Contact) -> dict[str, Any]:
    return {**row_values(contact), "attributes": dict(contact.attributes)}


def lead_from_row(row: Any) -> Lead:
    detail = row.score_detail or {}
    return _plain(
        Lead,
        row,
        status=LeadStatus(row.status),
        attributes=dict(row.attributes or {}),
        score_reasons=tuple(str(r) for r in detail.get("reasons", ())),
    )


def lead_to_row(lead: Lead) -> dict[str, Any]:
    return {
        **row_values(lead, skip=("score_reasons",)),
        "status": lead.status.value,
        "attributes": dict(lead.attributes),
        "score_detail": {"reasons": list(lead.score_reasons)} if lead.score_reasons else {},
    }


def deal_from_row(row: Any) -> Deal:
    next_action = None
    if row.next_action_text:
        next_action = NextAction(
            row.next_action_text, row.next_action_due, row.next_action_owner_id
        )
    return _plain(
        Deal,
        row,
        status=DealStatus(row.status),
        next_action=next_action,
        attributes=dict(row.attributes or {}),
    )


def deal_to_row(deal: Deal) -> dict[str, Any]:
    values = row_values(deal, skip=("next_action",))
    nxt = deal.next_action
    values.update(
        status=deal.status.value,
        attributes=dict(deal.attributes),
        name_key=name_key(deal.name),
        next_action_text=nxt.text if nxt else None,
        next_action_due=nxt.due if nxt else None,
        next_action_owner_id=nxt.owner_id if nxt else None,
    )
    return values


def stage_change_from_row(row: StageChangeRow) -> StageChange:
    return _plain(StageChange, row)


def activity_from_row(row: ActivityRow) -> Activity:
    return _plain(Activity, row, kind=ActivityKind(row.kind))


def activity_to_row(activity: Activity) -> dict[str, Any]:
    return {**row_values(activity), "kind": activity.kind.value}


def signal_from_row(row: SignalRow) -> Signal:
    return _plain(Signal, row)


def action_from_row(row: ActionRow) -> Action:
    return _plain(
        Action,
        row,
        id=uuid.UUID(row.id),
        kind=ActionKind(row.kind),
        status=ActionStatus(row.status),
        value=0.0,
        currency="USD",
    )


def action_to_row(action: Action) -> dict[str, Any]:
    values = row_values(action, skip=("value", "currency"))
    values.update(id=str(action.id), kind=action.kind.value, status=action.status.value)
    return values
