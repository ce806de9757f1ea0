"""A lead handed to someone else gets a fresh response clock for its new owner (SQLite, PostgreSQL).

The time to first touch in the report still counts from the lead's arrival.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from core.commands import LogFirstTouch, ReassignLead
from core.model import ActivityKind
from core.sla import SlaPolicy
from handlers.lead_desk import DeskDeps, DeskPolicy
from handlers.sla_report import sla_report
from handlers.sla_sweep import SweepRun, sweep_response_clocks
from storage.db import create_engine_for
from storage.uow import UnitOfWorkFactory
from tests.lead_chat import hot_acme_lead, outbox_rows, press, words
from tests.lead_world import CHANNEL, NOW, desk_for, meanwhile_after_due_read
from tests.test_sla_sweep import key, sla_keys, sweep_at


def at(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)


# (minute, what happens): "reassign" (Mia gives Ana's hot lead to Ben), "touch" (Ben logs a
# call), or the levels a sweep at that minute fires, as (level, clock start minute, to whom).
REASSIGNED_BY_BUTTON = [
    pytest.param(
        [
            (3, "reassign"),
            (4, []),  # Ana's reminder would have been due: the lead is not hers any more
            (6.9, []),
            (7, [("reminder", 3, "UBEN")]),  # 80% of Ben's 5 minutes
            (7.9, []),
            (8, [("breach", 3, CHANNEL)]),  # 100%
            (10, "touch"),
            (18, []),  # Ben's escalation would have been due: the touch stopped the clock
            (60, []),
        ],
        timedelta(minutes=10),
        id="before-any-level",
    ),
    pytest.param(
        [
            (4, [("reminder", 0, "UANA")]),
            (5, [("breach", 0, CHANNEL)]),
            (7, "reassign"),
            (10.9, []),
            (11, [("reminder", 7, "UBEN")]),
            (11.5, "touch"),
            (12, []),
            (15, []),  # Ana's escalation would have been due
            (22, []),  # and Ben's
        ],
        timedelta(minutes=11.5),
        id="after-the-breach",
    ),
]


@pytest.mark.parametrize(("story", "to_first_touch"), REASSIGNED_BY_BUTTON)
def test_a_reassigned_lead_runs_a_fresh_clock_for_its_new_owner(
    database_url, story, to_first_touch
):
    deps, clock, team = desk_for(database_url)
    lead_id = hot_acme_lead(deps).lead_id
    expected_keys = set()
    for minute, step in story:
        if step == "reassign":
            clock.current = at(minute)
            reply = press(ReassignLead(team.mia, lead_id, team.ben), deps)
            due = at(minute + 5)
            assert f"First touch due: {due:%H:%M} UTC" in _fields(reply.message)
            edit = outbox_rows(deps)[f"lead:{lead_id}:channel:edit"]
            assert "Owner: Ben Okafor" in words(edit)
            assert f"First touch due: {due:%H:%M} UTC" in words(edit)
        elif step == "touch":
            clock.current = at(minute)
            press(LogFirstTouch(team.ben, lead_id, ActivityKind.CALL), deps)
        else:
            run = sweep_at(deps, clock, at(minute))
            assert run.levels == [f"{lead_id}:{level}" for level, _, _ in step], minute
            for level, started, target in step:
                row = outbox_rows(deps)[key(lead_id, at(started), level)]
                assert row.target == target
                if level == "breach":
                    owner = "Ben Okafor" if started else "Ana Lopez"
                    assert f"Owner: {owner}" in words(row) and "waited 5 min" in words(row)
                expected_keys.add(key(lead_id, at(started), level))
    assert sla_keys(deps, lead_id) == expected_keys

    report = sla_report(deps.uow_factory, since=NOW, until=at(60))
    [row] = report.leads
    assert (row.started_at, row.time_to_first_touch) == (NOW, to_first_touch)
    assert (row.owner, row.breached, row.waiting) == ("Ben Okafor", True, False)


def test_a_sweep_that_read_the_lead_before_a_reassignment_fires_nothing(database_url):
    """The sweep reads the due reminder, Mia hands the lead to Ben and commits, then the sweep
    tries to move the clock: the compare-and-set sees a restarted clock and Ana hears nothing."""
    deps, clock, team = desk_for(database_url)
    lead_id = hot_acme_lead(deps).lead_id
    rival_engine = create_engine_for(database_url)
    rival = DeskDeps(uow_factory=UnitOfWorkFactory(rival_engine), clock=clock, policy=deps.policy)

    racing = meanwhile_after_due_read(
        deps, lambda: press(ReassignLead(team.mia, lead_id, team.ben), rival)
    )
    clock.current = at(4)
    try:
        ours: SweepRun = sweep_response_clocks(racing)
    finally:
        rival_engine.dispose()
    assert (ours.due, ours.raced, ours.levels, ours.reminders) == (1, 1, [], 0)
    assert sla_keys(deps, lead_id) == set()
    with deps.uow_factory() as uow:
        lead = uow.leads.get(lead_id)
    assert (lead.owner_id, lead.clock_started_at, lead.sla_fired) == (team.ben, at(4), 0)
    assert sweep_at(deps, clock, at(8)).levels == [f"{lead_id}:reminder"]
    assert outbox_rows(deps)[key(lead_id, at(4), "reminder")].target == "UBEN"


def test_an_escalation_that_reassigns_gives_the_new_owner_a_fresh_clock(database_url):
    deps, clock, team = desk_for(
        database_url, DeskPolicy(sla=SlaPolicy(reassign_on_escalation=True))
    )
    lead_id = hot_acme_lead(deps).lead_id
    for minute in (4, 5, 15):
        sweep_at(deps, clock, at(minute))
    with deps.uow_factory() as uow:
        lead = uow.leads.get(lead_id)
        second = uow.reps.get(lead.owner_id)
    assert second.id in (team.ben, team.mia)  # at work at 14:15 UTC; Kai is asleep in Tokyo
    assert (lead.sla_started_at, lead.clock_started_at) == (NOW, at(15))
    assert (lead.sla_fired, lead.sla_fired_before, lead.first_touch_due) == (0, 3, at(20))
    edit = words(outbox_rows(deps)[f"lead:{lead_id}:channel:edit"])
    assert f"Owner: {second.name}" in edit and f"First touch due: {at(20):%H:%M} UTC" in edit
    assert "Response time breached" in edit  # Ana's breach stays on the alert

    assert sweep_at(deps, clock, at(18.9)).levels == []
    assert sweep_at(deps, clock, at(19)).levels == [f"{lead_id}:reminder"]
    assert outbox_rows(deps)[key(lead_id, at(15), "reminder")].target == second.slack_user_id
    assert sweep_at(deps, clock, at(20)).levels == [f"{lead_id}:breach"]
    breach = words(outbox_rows(deps)[key(lead_id, at(15), "breach")])
    assert f"Owner: {second.name}" in breach and "waited 5 min" in breach

    run = sweep_at(deps, clock, at(30))
    assert (run.levels, run.reassigned) == ([f"{lead_id}:escalation"], 0)
    with deps.uow_factory() as uow:  # never back to Ana, who let it run out; nobody else is at work
        lead = uow.leads.get(lead_id)
        moves = uow.assignments.for_lead(lead_id)
    assert [m.rep_id for m in moves] == [team.ana, second.id]
    assert (lead.owner_id, lead.clock_started_at, lead.sla_fired) == (second.id, at(15), 3)
    escalation = words(outbox_rows(deps)[key(lead_id, at(15), "escalation")])
    assert f"Owner: {second.name}" in escalation

    clock.current = at(32)
    press(LogFirstTouch(second.id, lead_id, ActivityKind.CALL), deps)
    for minute in (34, 35, 45, 120):
        assert sweep_at(deps, clock, at(minute)).levels == []
    assert len(sla_keys(deps, lead_id)) == 6  # Ana's three levels and the second owner's three
    [row] = sla_report(deps.uow_factory, since=NOW, until=at(60)).leads
    assert (row.time_to_first_touch, row.breached) == (timedelta(minutes=32), True)


def _fields(message: object) -> str:
    return "\n".join(
        f"{field.label}: {field.value}" for section in message.sections for field in section.fields
    )
