"""The SLA sweep on SQLite and PostgreSQL: each level fires once, on time, in the owner's hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from core.commands import AcceptLead, LogFirstTouch, ReassignLead
from core.intake import LeadSubmission, SignalEvent
from core.lead_scoring import ScoringPolicy
from core.model import Account, ActivityKind, LeadStatus, Rep
from core.sla import SlaPolicy, SlaTarget
from handlers.intake import receive_lead
from handlers.lead_desk import DeskDeps, DeskPolicy
from handlers.signals import receive_signals
from handlers.sla_sweep import SweepRun, sweep_response_clocks
from storage.db import create_engine_for
from storage.uow import UnitOfWorkFactory
from tests.lead_chat import hot_acme_lead, outbox_rows, press, words
from tests.lead_world import CHANNEL, NOW, FixedClock, desk_for, meanwhile_after_due_read


def sla_keys(deps: DeskDeps, lead_id: int) -> set[str]:
    return {key for key in outbox_rows(deps) if key.startswith(f"sla:{lead_id}:")}


def key(lead_id: int, started: datetime, level: str) -> str:
    return f"sla:{lead_id}:{int(started.timestamp())}:{level}"


def sweep_at(deps: DeskDeps, clock: FixedClock, at: datetime) -> SweepRun:
    """Sweep twice at the same instant: the second finds nothing to do and sends nothing."""
    clock.current = at
    first = sweep_response_clocks(deps)
    before = outbox_rows(deps)
    again = sweep_response_clocks(deps)
    assert (again.due, again.levels) == (0, [])
    assert outbox_rows(deps) == before
    return first


def test_a_hot_lead_is_reminded_breached_and_escalated_once_each(database_url):
    deps, clock, team = desk_for(database_url)
    lead_id = hot_acme_lead(deps).lead_id
    alerts = set(outbox_rows(deps))
    assert alerts == {f"lead:{lead_id}:channel", f"lead:{lead_id}:dm:{team.ana}"}

    assert sweep_at(deps, clock, NOW + timedelta(minutes=3)).levels == []
    assert sla_keys(deps, lead_id) == set()

    assert sweep_at(deps, clock, NOW + timedelta(minutes=4)).levels == [f"{lead_id}:reminder"]
    reminder = outbox_rows(deps)[key(lead_id, NOW, "reminder")]
    assert (reminder.platform, reminder.target) == ("slack", "UANA")
    assert "due in 1 min" in words(reminder)

    run = sweep_at(deps, clock, NOW + timedelta(minutes=5))
    assert (run.levels, run.breaches) == ([f"{lead_id}:breach"], 1)
    breach = outbox_rows(deps)[key(lead_id, NOW, "breach")]
    assert breach.target == CHANNEL
    assert "Owner: Ana Lopez" in words(breach) and "waited 5 min" in words(breach)

    assert sweep_at(deps, clock, NOW + timedelta(minutes=14)).levels == []
    run = sweep_at(deps, clock, NOW + timedelta(minutes=15))
    assert (run.levels, run.escalations, run.reassigned) == ([f"{lead_id}:escalation"], 1, 0)
    escalation = outbox_rows(deps)[key(lead_id, NOW, "escalation")]
    assert escalation.target == "UMIA"
    assert "waited 15 min" in words(escalation) and "Owner: Ana Lopez" in words(escalation)

    assert sweep_at(deps, clock, NOW + timedelta(hours=5)).levels == []
    levels = {key(lead_id, NOW, level) for level in ("reminder", "breach", "escalation")}
    assert sla_keys(deps, lead_id) == levels
    assert set(outbox_rows(deps)) == alerts | levels | {f"lead:{lead_id}:channel:edit"}
    edit = outbox_rows(deps)[f"lead:{lead_id}:channel:edit"]
    assert "Response time breached" in words(edit) and "Escalated to the manager" in words(edit)
    with deps.uow_factory() as uow:
        lead = uow.leads.get(lead_id)
    assert (lead.sla_fired, lead.sla_next_at) == (3, None)


def test_a_sweep_racing_another_sends_nothing_the_other_sent(database_url):
    deps, clock, _ = desk_for(database_url)
    lead_id = hot_acme_lead(deps).lead_id
    rival_engine = create_engine_for(database_url)
    rival = DeskDeps(uow_factory=UnitOfWorkFactory(rival_engine), clock=clock, policy=deps.policy)
    rival_runs: list[SweepRun] = []

    racing = meanwhile_after_due_read(deps, lambda: rival_runs.append(sweep_response_clocks(rival)))
    try:
        clock.current = NOW + timedelta(minutes=4)
        ours = sweep_response_clocks(racing)
    finally:
        rival_engine.dispose()
    [theirs] = rival_runs
    assert theirs.levels == [f"{lead_id}:reminder"]
    assert (ours.due, ours.raced, ours.levels, ours.reminders) == (1, 1, [], 0)
    assert sla_keys(deps, lead_id) == {key(lead_id, NOW, "reminder")}
    with deps.uow_factory() as uow:
        assert uow.leads.get(lead_id).sla_fired == 1


def test_moving_a_clock_from_a_level_it_has_left_changes_nothing(database_url):
    deps, clock, _ = desk_for(database_url)
    lead_id = hot_acme_lead(deps).lead_id
    sweep_at(deps, clock, NOW + timedelta(minutes=4))
    later = NOW + timedelta(minutes=5)
    with deps.uow_factory() as uow:
        stale = uow.leads.advance_clock(
            lead_id, started_at=NOW, from_fired=0, to_fired=1, next_at=later
        )
        old_clock = uow.leads.advance_clock(
            lead_id, started_at=NOW - timedelta(hours=1), from_fired=1, to_fired=2, next_at=None
        )
        current = uow.leads.advance_clock(
            lead_id, started_at=NOW, from_fired=1, to_fired=2, next_at=None
        )
    assert (stale, old_clock, current) == (False, False, True)
    with deps.uow_factory() as uow:  # `current` was never committed
        assert uow.leads.get(lead_id).sla_fired == 1


def test_a_sweep_that_was_down_breaches_and_escalates_but_does_not_remind(database_url):
    deps, clock, _ = desk_for(database_url)
    lead_id = hot_acme_lead(deps).lead_id
    run = sweep_at(deps, clock, NOW + timedelta(minutes=20))
    assert run.levels == [f"{lead_id}:breach", f"{lead_id}:escalation"]
    assert (run.reminders, run.breaches, run.escalations) == (0, 1, 1)
    assert sla_keys(deps, lead_id) == {key(lead_id, NOW, "breach"), key(lead_id, NOW, "escalation")}
    assert "waited 20 min" in words(outbox_rows(deps)[key(lead_id, NOW, "breach")])


def test_a_first_touch_stops_the_clock_and_says_how_long_it_took(database_url):
    deps, clock, team = desk_for(database_url)
    lead_id = hot_acme_lead(deps).lead_id
    clock.advance(minutes=2)
    reply = press(LogFirstTouch(team.ana, lead_id, ActivityKind.CALL), deps)
    assert reply.replace and "First touch after 2 min" in str(reply.message)
    for minutes in (4, 5, 15, 60):
        assert sweep_at(deps, clock, NOW + timedelta(minutes=minutes)).levels == []
    assert sla_keys(deps, lead_id) == set()
    with deps.uow_factory() as uow:
        lead = uow.leads.get(lead_id)
        timeline = uow.activities.for_leads([lead_id])
    assert lead.sla_next_at is None and lead.first_touch_at == NOW + timedelta(minutes=2)
    assert lead.status is LeadStatus.WORKING
    assert [(a.kind, a.rep_id, a.surface) for a in timeline] == [
        (ActivityKind.CALL, team.ana, "slack")
    ]
    edit = outbox_rows(deps)[f"lead:{lead_id}:channel:edit"]
    assert edit.target == CHANNEL and edit.payload["edit_of"] == f"lead:{lead_id}:channel"
    assert "First touch after 2 min" in words(edit)


def test_accepting_a_lead_does_not_stop_its_clock(database_url):
    deps, clock, team = desk_for(database_url)
    lead_id = hot_acme_lead(deps).lead_id
    clock.advance(minutes=1)
    press(AcceptLead(team.ana, lead_id), deps)
    assert sweep_at(deps, clock, NOW + timedelta(minutes=4)).levels == [f"{lead_id}:reminder"]
    assert outbox_rows(deps)[key(lead_id, NOW, "reminder")].target == "UANA"


def test_a_friday_evening_lead_breaches_on_monday_morning_in_the_owners_hours(database_url):
    deps, clock, team = desk_for(database_url)
    friday = datetime(2026, 11, 27, 16, 58, tzinfo=UTC)  # 17:58 in Berlin, two minutes left
    monday = datetime(2026, 11, 30, 7, 3, tzinfo=UTC)  # 08:03 in Berlin
    clock.current = friday
    result = hot_acme_lead(deps)
    assert result.owner_id == team.ana
    with deps.uow_factory() as uow:
        lead = uow.leads.get(result.lead_id)
    assert lead.first_touch_due == monday
    assert lead.sla_next_at == monday - timedelta(minutes=1)  # the reminder, after 4 working min
    for quiet in (friday + timedelta(minutes=12), datetime(2026, 11, 28, 12, tzinfo=UTC)):
        assert sweep_at(deps, clock, quiet).levels == []
    assert sweep_at(deps, clock, monday - timedelta(seconds=61)).levels == []
    run = sweep_at(deps, clock, monday)
    assert run.levels == [f"{result.lead_id}:breach"]  # the reminder would come after the fact
    breach = outbox_rows(deps)[key(result.lead_id, friday, "breach")]
    assert "waited 5 min" in words(breach)  # working time: two on Friday, three on Monday


def test_a_warm_lead_counts_its_hour_across_the_end_of_daylight_saving(database_url):
    policy = DeskPolicy(scoring=ScoringPolicy(warm_at=0.0))  # every lead short of hot is warm
    deps, clock, team = desk_for(database_url, policy)
    with deps.uow_factory() as uow:
        noa = uow.reps.add(
            Rep(email="noa@example.com", name="Noa Park", time_zone="America/New_York",
                team_id=team.team, manager_id=team.mia, slack_user_id="UNOA")
        )  # fmt: skip
        uow.accounts.add(Account(name="Globex", domain="globex.com", owner_id=noa.id))
        uow.commit()
    new_york = ZoneInfo("America/New_York")
    friday = datetime(2026, 10, 30, 17, 30, tzinfo=new_york)  # EDT: 21:30 UTC
    clock.current = friday.astimezone(UTC)
    result = receive_lead(LeadSubmission(email="buyer@globex.com"), deps, delivery_key="dst")
    assert (result.tier, result.owner_id) == ("warm", noa.id)
    with deps.uow_factory() as uow:
        due = uow.leads.get(result.lead_id).first_touch_due
    assert due == datetime(2026, 11, 2, 13, 30, tzinfo=UTC)  # 30 min Friday + 30 min Monday
    local = due.astimezone(new_york)
    assert (local.hour, local.minute) == (8, 30)
    assert (friday.utcoffset(), local.utcoffset()) == (timedelta(hours=-4), timedelta(hours=-5))

    started = clock.current
    assert sweep_at(deps, clock, datetime(2026, 10, 31, 12, tzinfo=UTC)).levels == []
    reminder_at = datetime(2026, 11, 2, 13, 18, tzinfo=UTC)  # 48 of the 60 counted minutes
    assert sweep_at(deps, clock, reminder_at - timedelta(seconds=1)).levels == []
    assert sweep_at(deps, clock, reminder_at).levels == [f"{result.lead_id}:reminder"]
    assert outbox_rows(deps)[key(result.lead_id, started, "reminder")].target == "UNOA"
    assert sweep_at(deps, clock, due - timedelta(seconds=1)).levels == []
    assert sweep_at(deps, clock, due).levels == [f"{result.lead_id}:breach"]
    assert "waited 1 h" in words(outbox_rows(deps)[key(result.lead_id, started, "breach")])


def test_escalation_can_move_the_lead_to_someone_at_work(database_url):
    policy = DeskPolicy(sla=SlaPolicy(reassign_on_escalation=True))
    deps, clock, team = desk_for(database_url, policy)
    lead_id = hot_acme_lead(deps).lead_id
    for minutes in (4, 5):
        sweep_at(deps, clock, NOW + timedelta(minutes=minutes))
    with deps.uow_factory() as uow:
        assert uow.leads.get(lead_id).owner_id == team.ana  # the breach alone moves nothing

    run = sweep_at(deps, clock, NOW + timedelta(minutes=15))
    assert (run.escalations, run.reassigned) == (1, 1)
    with deps.uow_factory() as uow:
        lead = uow.leads.get(lead_id)
        moves = uow.assignments.for_lead(lead_id)
        new_owner = uow.reps.get(lead.owner_id)
    assert new_owner.id in (team.ben, team.mia)  # at work at 14:15 UTC; Kai is asleep in Tokyo
    assert lead.accepted_at is None and lead.routing_reason.startswith("escalated: ")
    assert [(m.rep_id, m.actor) for m in moves] == [
        (team.ana, "routing"),
        (new_owner.id, "escalation"),
    ]
    rows = outbox_rows(deps)
    assert rows[f"lead:{lead_id}:dm:{new_owner.id}"].target == new_owner.slack_user_id
    escalation = rows[key(lead_id, NOW, "escalation")]
    assert escalation.target == "UMIA"
    assert "Owner: Ana Lopez" in words(escalation)
    assert f"Reassigned to {new_owner.name}" in words(escalation)
    edit = rows[f"lead:{lead_id}:channel:edit"]
    assert f"Owner: {new_owner.name}" in words(edit)


def test_a_lead_that_turns_hot_gets_a_new_clock_and_the_old_one_stays_quiet(database_url):
    targets = {"hot": SlaTarget(minutes=5), "cold": SlaTarget(minutes=10)}
    deps, clock, _ = desk_for(database_url, DeskPolicy(sla=SlaPolicy(targets=targets)))
    result = receive_lead(LeadSubmission(email="vp@initech.io"), deps, delivery_key="cold")
    lead_id = result.lead_id
    assert result.tier == "cold" and result.owner_id is not None
    assert sweep_at(deps, clock, NOW + timedelta(minutes=8)).levels == [f"{lead_id}:reminder"]

    hot_at = clock.advance(minutes=1)
    events = [
        SignalEvent("page_view", hot_at - timedelta(days=days), "/pricing", email="vp@initech.io")
        for days in (3, 0)
    ] + [SignalEvent("demo_request", hot_at, email="vp@initech.io")]
    assert receive_signals(events, deps, delivery_key="turns-hot").rescored == (lead_id,)
    with deps.uow_factory() as uow:
        lead = uow.leads.get(lead_id)
    assert (lead.tier, lead.sla_started_at, lead.sla_fired) == ("hot", hot_at, 0)
    assert int(hot_at.timestamp()) != int(NOW.timestamp())

    fired = {}
    for minutes in (10, 13, 14, 24, 30, 60):  # the old clock's breach and escalation: 10, 30
        fired[minutes] = sweep_at(deps, clock, NOW + timedelta(minutes=minutes)).levels
    assert fired == {
        10: [],
        13: [f"{lead_id}:reminder"],
        14: [f"{lead_id}:breach"],
        24: [f"{lead_id}:escalation"],
        30: [],
        60: [],
    }
    assert sla_keys(deps, lead_id) == {
        key(lead_id, NOW, "reminder"),
        key(lead_id, hot_at, "reminder"),
        key(lead_id, hot_at, "breach"),
        key(lead_id, hot_at, "escalation"),
    }


def test_a_queued_lead_breaches_and_escalates_in_the_channel(database_url):
    deps, clock, _ = desk_for(database_url)
    late = NOW.replace(hour=21)  # nobody at work: wall-clock time counts
    clock.current = late
    form = LeadSubmission(email="cto@initech.io", demo_request=True)
    result = receive_lead(form, deps, delivery_key="queued")
    assert (result.tier, result.owner_id) == ("hot", None)
    lead_id = result.lead_id
    run = sweep_at(deps, clock, late + timedelta(minutes=4))
    assert (run.levels, run.reminders) == ([f"{lead_id}:reminder"], 0)  # nobody to remind
    sweep_at(deps, clock, late + timedelta(minutes=5))
    sweep_at(deps, clock, late + timedelta(minutes=15))
    rows = outbox_rows(deps)
    assert sla_keys(deps, lead_id) == {
        key(lead_id, late, "breach"),
        key(lead_id, late, "escalation"),
    }
    breach, escalation = rows[key(lead_id, late, "breach")], rows[key(lead_id, late, "escalation")]
    assert breach.target == escalation.target == CHANNEL
    assert "Owner: nobody (still in the queue)" in words(breach)


def test_a_lead_given_to_someone_off_work_waits_for_their_hours(database_url):
    deps, clock, team = desk_for(database_url)
    lead_id = hot_acme_lead(deps).lead_id
    press(ReassignLead(team.mia, lead_id, team.kai), deps)  # 23:00 in Tokyo
    kai_morning = datetime(2026, 11, 23, 23, 0, tzinfo=UTC)  # Tuesday 08:00 in Tokyo
    assert sweep_at(deps, clock, NOW + timedelta(minutes=5)).levels == []
    with deps.uow_factory() as uow:
        assert uow.leads.get(lead_id).sla_next_at == kai_morning + timedelta(minutes=4)
    assert sweep_at(deps, clock, kai_morning + timedelta(minutes=4)).levels == [
        f"{lead_id}:reminder"
    ]
    assert outbox_rows(deps)[key(lead_id, NOW, "reminder")].target == "UKAI"
    sweep_at(deps, clock, kai_morning + timedelta(minutes=5))
    breach = outbox_rows(deps)[key(lead_id, NOW, "breach")]
    assert "Owner: Kai Sato" in words(breach) and "waited 5 min" in words(breach)


def test_a_clock_stopped_some_other_way_is_cleared_once_and_not_found_again(database_url):
    from dataclasses import replace as changed

    from core.intake import LeadSubmission
    from handlers.intake import receive_lead
    from handlers.sla_sweep import sweep_response_clocks
    from tests.lead_world import desk_for

    deps, clock, _ = desk_for(database_url)
    lead_id = receive_lead(
        LeadSubmission(email="cto@acme.com", demo_request=True), deps, delivery_key="o"
    ).lead_id
    with deps.uow_factory() as uow:  # touched by an import, say: the clock field stays set
        lead = uow.leads.get(lead_id)
        uow.leads.update(changed(lead, first_touch_at=clock.current))
        uow.commit()
    clock.advance(minutes=20)
    first = sweep_response_clocks(deps)
    assert (first.due, first.stopped, first.breaches) == (1, 1, 0)
    assert sweep_response_clocks(deps).due == 0
