"""Pressing the buttons on a lead alert in tests: chat `Deps` on the lead world's database and clock.

Also the readers the lead-desk tests share: outbox rows by key, the text of a queued message,
and a snapshot of everything a press may write (to prove a refused press wrote nothing).
"""

from __future__ import annotations

from typing import Any

from core.commands import Command
from core.intake import LeadSubmission
from core.ports import Forecaster, OutboxItem
from core.stages import Pipeline
from handlers.deps import Deps, Reply
from handlers.dispatch import dispatch
from handlers.intake import IntakeResult, receive_lead
from handlers.lead_desk import DeskDeps
from storage.delivery import OutboxQueue


def no_forecaster() -> Forecaster:
    raise AssertionError("the lead buttons never forecast")


def chat_deps(desk: DeskDeps, surface: str = "slack") -> Deps:
    """The chat handlers' dependencies on the same database, clock and desk policy as `desk`."""
    return Deps(
        uow_factory=desk.uow_factory,
        forecaster=no_forecaster,
        clock=desk.clock,
        pipeline=Pipeline(),
        surface=surface,
        desk=desk.policy,
    )


def press(command: Command, desk: DeskDeps) -> Reply:
    return dispatch(command, chat_deps(desk))


def hot_acme_lead(desk: DeskDeps, key: str = "hot-acme") -> IntakeResult:
    """A demo request from someone at Acme: hot, and Ana's (she owns the account)."""
    form = LeadSubmission(
        name="Sarah Chen", email="sarah.chen@acme.com", company="Acme", demo_request=True
    )
    return receive_lead(form, desk, delivery_key=key)


def outbox_rows(desk: DeskDeps) -> dict[str, OutboxItem]:
    engine = desk.uow_factory.engine  # type: ignore[attr-defined]
    return {item.key: item for item in OutboxQueue(engine).by_status(limit=1000)}


def words(item: OutboxItem) -> str:
    """Everything a reader of the queued message sees: summary, title, section texts and fields."""
    message = item.payload["message"]
    parts = [message["summary"], message.get("title") or ""]
    for section in message["sections"]:
        parts.append(section.get("text") or "")
        parts.extend(f"{label}: {value}" for label, value in section["fields"])
    return "\n".join(parts)


def control_ids(message: Any) -> list[str]:
    return [str(control.action_id) for control in message.controls]


def snapshot(desk: DeskDeps, lead_id: int) -> tuple[object, ...]:
    """The lead row, its assignments, its timeline, its latest audit entry and the outbox."""
    with desk.uow_factory() as uow:
        lead = uow.leads.get(lead_id)
        moves = uow.assignments.for_lead(lead_id)
        timeline = uow.activities.for_leads([lead_id])
        audit = uow.audit.latest(f"lead:{lead_id}")
    outbox = {key: (item.target, item.payload) for key, item in outbox_rows(desk).items()}
    return lead, moves, timeline, audit, outbox
