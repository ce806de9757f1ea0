"""The buttons on a lead alert on SQLite and PostgreSQL: who may press what, what each press changes,
and that a refused press changes nothing at all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from core.commands import AcceptLead, ControlId, LogFirstTouch, ReassignLead
from core.intake import LeadSubmission
from core.model import ActivityKind, LeadStatus
from handlers.deals import NotARep
from handlers.errors import AlreadyHandled, NotAllowed, UserError
from handlers.intake import receive_lead
from handlers.lead_desk import DeskDeps
from tests.lead_chat import control_ids, hot_acme_lead, outbox_rows, press, snapshot, words
from tests.lead_world import NOW, Team1, desk_for


def lead_of(deps: DeskDeps, lead_id: int):
    with deps.uow_factory() as uow:
        return uow.leads.get(lead_id)


def deactivate(deps: DeskDeps, rep_id: int) -> None:
    with deps.uow_factory() as uow:
        uow.reps.update(replace(uow.reps.get(rep_id), active=False))
        uow.commit()


def test_the_owner_accepts_and_the_alert_loses_its_accept_button(database_url):
    deps, clock, team = desk_for(database_url)
    lead_id = hot_acme_lead(deps).lead_id
    accepted = clock.advance(minutes=1)
    reply = press(AcceptLead(team.ana, lead_id), deps)

    assert reply.replace and reply.changed_reps == (team.ana,)
    assert ControlId.LEAD_ACCEPT not in control_ids(reply.message)
    assert ControlId.LEAD_TOUCH in control_ids(reply.message)
    assert "accepted by Ana Lopez" in str(reply.message)
    lead = lead_of(deps, lead_id)
    assert lead.accepted_at == accepted and lead.owner_id == team.ana
    assert lead.sla_next_at == NOW + timedelta(minutes=4)  # the clock runs on
    with deps.uow_factory() as uow:
        audit = uow.audit.latest(f"lead:{lead_id}")
    assert (audit.action, audit.actor, audit.at) == (
        "lead.accept",
        f"rep:{team.ana} via slack",
        accepted,
    )
    assert (audit.before, audit.after) == (
        {"accepted_at": None},
        {"accepted_at": accepted.isoformat()},
    )
    edit = outbox_rows(deps)[f"lead:{lead_id}:channel:edit"]
    assert "accepted by Ana Lopez" in words(edit)
    assert ControlId.LEAD_ACCEPT not in str(edit.payload["message"]["controls"])

    with pytest.raises(AlreadyHandled, match="already accepted by Ana Lopez"):
        press(AcceptLead(team.ana, lead_id), deps)


def test_someone_else_cannot_accept_the_owners_lead(database_url):
    deps, _, team = desk_for(database_url)
    lead_id = hot_acme_lead(deps).lead_id
    before = snapshot(deps, lead_id)
    with pytest.raises(NotAllowed) as refused:
        press(AcceptLead(team.ben, lead_id), deps)
    assert "Ana Lopez's lead" in str(refused.value)
    assert snapshot(deps, lead_id) == before


def test_accepting_a_queued_lead_makes_the_presser_its_owner(database_url):
    deps, clock, team = desk_for(database_url)
    clock.current = NOW.replace(hour=21)  # nobody at work: the lead waits in the queue
    result = receive_lead(LeadSubmission(email="late@initech.io"), deps, delivery_key="q")
    assert result.owner_id is None
    clock.advance(minutes=3)
    reply = press(AcceptLead(team.ben, result.lead_id), deps)

    lead = lead_of(deps, result.lead_id)
    assert (lead.owner_id, lead.accepted_at, lead.routing_rule) == (
        team.ben,
        clock.current,
        "manual",
    )
    assert lead.team_id == team.team
    with deps.uow_factory() as uow:
        moves = uow.assignments.for_lead(result.lead_id)
    assert [(m.rep_id, m.rule, m.actor, m.at) for m in moves] == [
        (team.ben, "manual", "ben@example.com", clock.current)
    ]
    assert moves[0].reason == "Ben: took it from the queue"
    assert reply.changed_reps == (team.ben,)
    assert "Owner: Ben Okafor" in words(outbox_rows(deps)[f"lead:{result.lead_id}:channel:edit"])


def test_a_manager_reassigns_and_only_the_new_owner_hears_of_it(database_url):
    deps, clock, team = desk_for(database_url)
    lead_id = hot_acme_lead(deps).lead_id
    clock.advance(minutes=1)
    press(AcceptLead(team.ana, lead_id), deps)
    reply = press(ReassignLead(team.mia, lead_id, team.ben), deps)

    lead = lead_of(deps, lead_id)
    assert (lead.owner_id, lead.accepted_at) == (team.ben, None)  # Ben has not accepted yet
    assert lead.routing_reason == "Ben: reassigned by Mia"
    assert reply.replace and reply.changed_reps == (team.ben,)
    assert ControlId.LEAD_ACCEPT in control_ids(reply.message)
    rows = outbox_rows(deps)
    assert rows[f"lead:{lead_id}:dm:{team.ben}"].target == "UBEN"
    assert "Sarah Chen" in words(rows[f"lead:{lead_id}:dm:{team.ben}"])
    dms = {key for key in rows if key.startswith(f"lead:{lead_id}:dm:")}
    assert dms == {f"lead:{lead_id}:dm:{team.ana}", f"lead:{lead_id}:dm:{team.ben}"}  # not Mia
    assert "Owner: Ben Okafor" in words(rows[f"lead:{lead_id}:channel:edit"])
    with deps.uow_factory() as uow:
        moves = uow.assignments.for_lead(lead_id)
        audit = uow.audit.latest(f"lead:{lead_id}")
    assert [(m.rep_id, m.actor) for m in moves] == [
        (team.ana, "routing"),
        (team.ben, "mia@example.com"),
    ]
    assert (audit.action, audit.before, audit.after) == (
        "lead.reassign",
        {"owner_id": team.ana, "first_touch_due": "2026-11-23T14:05:00+00:00"},
        {"owner_id": team.ben, "first_touch_due": "2026-11-23T14:06:00+00:00"},  # Ben's own clock
    )

    before = snapshot(deps, lead_id)
    with pytest.raises(AlreadyHandled, match="already Ben Okafor's lead"):
        press(ReassignLead(team.ben, lead_id, team.ben), deps)
    assert snapshot(deps, lead_id) == before


def test_a_manager_who_takes_a_lead_gets_no_dm_about_it(database_url):
    deps, _, team = desk_for(database_url)
    lead_id = hot_acme_lead(deps).lead_id
    press(ReassignLead(team.mia, lead_id, team.mia), deps)
    assert lead_of(deps, lead_id).owner_id == team.mia
    assert f"lead:{lead_id}:dm:{team.mia}" not in outbox_rows(deps)


def test_a_first_touch_is_logged_once(database_url):
    deps, clock, team = desk_for(database_url)
    lead_id = hot_acme_lead(deps).lead_id
    touched = clock.advance(minutes=2)
    reply = press(LogFirstTouch(team.ana, lead_id, ActivityKind.EMAIL), deps)
    assert reply.message.controls == ()  # nothing left to press on a touched lead
    lead = lead_of(deps, lead_id)
    assert (lead.first_touch_at, lead.status, lead.sla_next_at) == (
        touched,
        LeadStatus.WORKING,
        None,
    )
    with deps.uow_factory() as uow:
        audit = uow.audit.latest(f"lead:{lead_id}")
    assert audit.action == "lead.first_touch" and audit.after["kind"] == "email"

    clock.advance(minutes=1)
    before = snapshot(deps, lead_id)
    with pytest.raises(AlreadyHandled, match="already had a first touch"):
        press(LogFirstTouch(team.ana, lead_id, ActivityKind.CALL), deps)
    assert snapshot(deps, lead_id) == before
    assert [a.kind for a in before[2]] == [ActivityKind.EMAIL]


Refusal = Callable[[Team1, int], object]

REFUSED: dict[str, tuple[Refusal, type[UserError], str]] = {
    "accept someone else's lead": (
        lambda t, lead: AcceptLead(t.ben, lead), NotAllowed, "only Ana Lopez can accept",
    ),
    "reassign someone else's lead": (
        lambda t, lead: ReassignLead(t.ben, lead, t.ben), NotAllowed,
        "Only Ana Lopez, their manager or an admin can reassign Sarah Chen",
    ),
    "touch someone else's lead": (
        lambda t, lead: LogFirstTouch(t.kai, lead), NotAllowed, "log a touch on Sarah Chen",
    ),
    "reassign to the owner": (
        lambda t, lead: ReassignLead(t.mia, lead, t.ana), AlreadyHandled, "already Ana Lopez's",
    ),
    "reassign to an inactive rep": (
        lambda t, lead: ReassignLead(t.mia, lead, t.kai), UserError, "not active any more",
    ),
    "reassign to nobody we know": (
        lambda t, lead: ReassignLead(t.mia, lead, 9999), UserError, "not active any more",
    ),
    "a lead that is gone": (
        lambda t, lead: AcceptLead(t.ana, lead + 1000), UserError, "no longer exists",
    ),
    "a presser who is not a rep any more": (
        lambda t, lead: AcceptLead(t.ben, lead), NotARep, "not set up in dealbot",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_refused_press_changes_nothing(database_url, case):
    make, error, says = REFUSED[case]
    deps, clock, team = desk_for(database_url)
    lead_id = hot_acme_lead(deps).lead_id
    if case == "reassign to an inactive rep":
        deactivate(deps, team.kai)
    if case == "a presser who is not a rep any more":
        deactivate(deps, team.ben)
    clock.advance(minutes=1)
    before = snapshot(deps, lead_id)
    with pytest.raises(error, match=says) as refused:
        press(make(team, lead_id), deps)
    assert type(refused.value) is error
    assert snapshot(deps, lead_id) == before
