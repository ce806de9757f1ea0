"""Response clocks: deadlines in the owner's working time, across weekends, holidays and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from core.model import Rep
from core.sla import (
    SlaClock,
    SlaLevel,
    SlaPolicy,
    SlaTarget,
    add_working_time,
    describe_duration,
    elapsed,
    start_clock,
    working_day_length,
    working_time_between,
)

EVERY_DAY = (0, 1, 2, 3, 4, 5, 6)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def rep(time_zone: str = "UTC", **fields: object) -> Rep:
    return Rep(email="r@example.com", name="R", time_zone=time_zone, **fields)  # type: ignore[arg-type]


def all_week(time_zone: str, work_start: time, work_end: time) -> Rep:
    return rep(time_zone, working_days=EVERY_DAY, work_start=work_start, work_end=work_end)


# Mon-Fri 08:00-18:00 unless said otherwise. 23 November 2026 is a Monday.
UTC_REP = rep()
BERLIN = rep("Europe/Berlin")
NEW_YORK = rep("America/New_York")
ON_HOLIDAY = rep(holidays=(date(2026, 11, 25),))
AWAY = rep(out_of_office_until=utc("2026-12-31T00:00"))
UNKNOWN_ZONE = rep("Mars/Olympus")
# Windows that the clock changes cross. Berlin: 02:00 CET -> 03:00 CEST on 29 March 2026 and
# 03:00 CEST -> 02:00 CET on 25 October 2026, both at 01:00 UTC. New York: 02:00 EST -> 03:00 EDT
# on 8 March 2026 (07:00 UTC), 02:00 EDT -> 01:00 EST on 1 November 2026 (06:00 UTC). Havana:
# 00:00 CST -> 01:00 CDT on 8 March 2026 (05:00 UTC), 01:00 CDT -> 00:00 CST on 1 November 2026
# (05:00 UTC), so its midnight is skipped in spring and shown twice in autumn.
BERLIN_NIGHT = all_week("Europe/Berlin", time(1), time(4))
NEW_YORK_NIGHT = all_week("America/New_York", time(0), time(6))
NEW_YORK_TO_0130 = all_week("America/New_York", time(0), time(1, 30))
NEW_YORK_FROM_0230 = all_week("America/New_York", time(2, 30), time(6))
HAVANA_EVENING = all_week("America/Havana", time(20), time(0))
# Until 2010 Goose Bay's clock went back from Sunday 00:01 ADT to Saturday 23:01 AST (03:01 UTC),
# so Sunday showed on the clock for a minute before Saturday's last hour came round again.
GOOSE_BAY_EVENING = all_week("America/Goose_Bay", time(20), time(0))
GOOSE_BAY_NIGHT = all_week("America/Goose_Bay", time(0), time(6))
GOOSE_BAY_ROUND_THE_CLOCK = all_week("America/Goose_Bay", time(0), time(0))

DEFAULT = SlaPolicy()
WALL_CLOCK = SlaPolicy(working_hours=False)

TIMELINES = [
    # (what, tier, policy, owner, started, reminder, breach, escalation), all UTC
    ("hot lead in working hours", "hot", DEFAULT, UTC_REP,
     "2026-11-23T10:00", "2026-11-23T10:04", "2026-11-23T10:05", "2026-11-23T10:15"),
    ("warm lead in working hours", "warm", DEFAULT, UTC_REP,
     "2026-11-23T10:00", "2026-11-23T10:48", "2026-11-23T11:00", "2026-11-23T13:00"),
    # Berlin in November is UTC+1: Tuesday 16:00 local, breach Wednesday 16:00 local.
    ("cold lead is one business day", "cold", DEFAULT, BERLIN,
     "2026-11-24T15:00", "2026-11-25T13:00", "2026-11-25T15:00", "2026-11-27T15:00"),
    ("Friday 17:58 spills into Monday", "hot", DEFAULT, UTC_REP,
     "2026-11-27T17:58", "2026-11-30T08:02", "2026-11-30T08:03", "2026-11-30T08:13"),
    # New York in November is UTC-5: Saturday 10:00 local, breach Monday 08:05 local.
    ("Saturday waits for Monday 08:00", "hot", DEFAULT, NEW_YORK,
     "2026-11-28T15:00", "2026-11-30T13:04", "2026-11-30T13:05", "2026-11-30T13:15"),
    ("arrival on a holiday waits for the next day", "hot", DEFAULT, ON_HOLIDAY,
     "2026-11-25T09:00", "2026-11-26T08:04", "2026-11-26T08:05", "2026-11-26T08:15"),
    ("arrival in the evening waits for the morning", "hot", DEFAULT, UTC_REP,
     "2026-11-24T19:30", "2026-11-25T08:04", "2026-11-25T08:05", "2026-11-25T08:15"),
    ("out of office does not pause the clock", "hot", DEFAULT, AWAY,
     "2026-11-23T10:00", "2026-11-23T10:04", "2026-11-23T10:05", "2026-11-23T10:15"),
    ("an unknown zone counts UTC hours", "hot", DEFAULT, UNKNOWN_ZONE,
     "2026-11-28T10:00", "2026-11-30T08:04", "2026-11-30T08:05", "2026-11-30T08:15"),
    ("working hours off: wall clock on a Saturday", "hot", WALL_CLOCK, UTC_REP,
     "2026-11-28T10:00", "2026-11-28T10:04", "2026-11-28T10:05", "2026-11-28T10:15"),
    ("working hours off: a business day is 24 h", "cold", WALL_CLOCK, UTC_REP,
     "2026-11-28T10:00", "2026-11-29T05:12", "2026-11-29T10:00", "2026-12-01T10:00"),
    ("no owner: wall clock on a Saturday", "hot", DEFAULT, None,
     "2026-11-28T10:00", "2026-11-28T10:04", "2026-11-28T10:05", "2026-11-28T10:15"),
    ("no owner: a business day is 24 h", "cold", DEFAULT, None,
     "2026-11-28T10:00", "2026-11-29T05:12", "2026-11-29T10:00", "2026-12-01T10:00"),
    # Friday 16:00 CET; Monday 16:00 CEST is 14:00 UTC, an hour earlier than the week before.
    ("Berlin cold lead over the spring change", "cold", DEFAULT, BERLIN,
     "2026-03-27T15:00", "2026-03-30T12:00", "2026-03-30T14:00", "2026-04-01T14:00"),
    # Friday 16:00 CEST; Monday 16:00 CET is 15:00 UTC.
    ("Berlin cold lead over the autumn change", "cold", DEFAULT, BERLIN,
     "2026-10-23T14:00", "2026-10-26T13:00", "2026-10-26T15:00", "2026-10-28T15:00"),
    # 01:30 CEST; the clock shows 02:30 CEST at the breach and 03:30 CET three real hours in.
    ("Berlin window in the repeated hour", "warm", DEFAULT, BERLIN_NIGHT,
     "2026-10-24T23:30", "2026-10-25T00:18", "2026-10-25T00:30", "2026-10-25T02:30"),
    # 01:30 CET; the window closes at 04:00 CEST (02:00 UTC) with 1.5 h counted, the rest the
    # next night from 01:00 CEST (23:00 UTC).
    ("Berlin window over the skipped hour", "warm", DEFAULT, BERLIN_NIGHT,
     "2026-03-29T00:30", "2026-03-29T01:18", "2026-03-29T01:30", "2026-03-30T00:30"),
    # 01:30 EST; breach at 03:30 EDT, one real hour later.
    ("New York night window, spring", "warm", DEFAULT, NEW_YORK_NIGHT,
     "2026-03-08T06:30", "2026-03-08T07:18", "2026-03-08T07:30", "2026-03-08T09:30"),
    # 00:30 EDT; escalation at 02:30 EST, three real hours later.
    ("New York night window, autumn", "warm", DEFAULT, NEW_YORK_NIGHT,
     "2026-11-01T04:30", "2026-11-01T05:18", "2026-11-01T05:30", "2026-11-01T07:30"),
    # Saturday 23:30 CST; the window ends when the clock jumps to 01:00 (05:00 UTC), and goes on
    # Sunday 20:00 CDT (00:00 UTC).
    ("Havana evening, midnight skipped", "warm", DEFAULT, HAVANA_EVENING,
     "2026-03-08T04:30", "2026-03-09T00:18", "2026-03-09T00:30", "2026-03-09T02:30"),
    # Saturday 23:30 CDT; the window ends at the first midnight (04:00 UTC), not the second, and
    # goes on Sunday 20:00 CST (01:00 UTC).
    ("Havana evening, midnight shown twice", "warm", DEFAULT, HAVANA_EVENING,
     "2026-11-01T03:30", "2026-11-02T01:18", "2026-11-02T01:30", "2026-11-02T03:30"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("tier", "policy", "owner", "started", "reminder", "breach", "escalation"),
    [case[1:] for case in TIMELINES],
    ids=[case[0] for case in TIMELINES],
)
def test_clock_deadlines(
    tier: str,
    policy: SlaPolicy,
    owner: Rep | None,
    started: str,
    reminder: str,
    breach: str,
    escalation: str,
) -> None:
    clock = start_clock(utc(started), tier, policy, owner)
    assert (clock.tier, clock.started_at) == (tier, utc(started))
    assert clock.reminder_at == utc(reminder)
    assert clock.breach_at == utc(breach)
    assert clock.escalation_at == utc(escalation)
    assert clock.due_at(SlaLevel.REMINDER) == utc(reminder)
    assert clock.due_at(SlaLevel.BREACH) == utc(breach)
    assert clock.due_at(SlaLevel.ESCALATION) == utc(escalation)


@pytest.mark.parametrize(
    ("tier", "policy", "owner", "target"),
    [
        ("hot", DEFAULT, UTC_REP, timedelta(minutes=5)),
        ("warm", DEFAULT, UTC_REP, timedelta(hours=1)),
        ("cold", DEFAULT, UTC_REP, timedelta(hours=10)),
        ("cold", DEFAULT, HAVANA_EVENING, timedelta(hours=4)),
        ("cold", DEFAULT, None, timedelta(hours=24)),
        ("cold", WALL_CLOCK, UTC_REP, timedelta(hours=24)),
        ("mixed", SlaPolicy(targets={"mixed": SlaTarget(minutes=30, business_days=2)}), UTC_REP,
         timedelta(hours=20, minutes=30)),
    ],
)  # fmt: skip
def test_clock_target_counts_business_days_as_the_policy_counts_time(
    tier: str, policy: SlaPolicy, owner: Rep | None, target: timedelta
) -> None:
    assert start_clock(utc("2026-11-23T10:00"), tier, policy, owner).target == target


@pytest.mark.parametrize(
    ("work_start", "work_end", "length"),
    [
        (time(8), time(18), timedelta(hours=10)),
        (time(9, 30), time(17), timedelta(hours=7, minutes=30)),
        (time(20), time(0), timedelta(hours=4)),
        (time(22), time(6), timedelta(hours=2)),
        (time(0), time(0), timedelta(hours=24)),
    ],
)
def test_working_day_length(work_start: time, work_end: time, length: timedelta) -> None:
    assert working_day_length(rep(work_start=work_start, work_end=work_end)) == length


WORKING_TIME = [
    # (what, rep, start, end, working time)
    ("a whole week", UTC_REP, "2026-11-23T00:00", "2026-11-30T00:00", timedelta(hours=50)),
    ("Berlin week over the spring change", BERLIN, "2026-03-23T00:00", "2026-03-30T00:00",
     timedelta(hours=50)),
    ("Friday 17:00 to Monday 09:00", UTC_REP, "2026-11-27T17:00", "2026-11-30T09:00",
     timedelta(hours=2)),
    ("inside one window", UTC_REP, "2026-11-23T09:15", "2026-11-23T09:22", timedelta(minutes=7)),
    ("a holiday counts nothing", ON_HOLIDAY, "2026-11-25T00:00", "2026-11-26T00:00", timedelta(0)),
    ("end before start", UTC_REP, "2026-11-23T12:00", "2026-11-23T10:00", timedelta(0)),
    ("end at start", UTC_REP, "2026-11-23T12:00", "2026-11-23T12:00", timedelta(0)),
    ("Berlin 01:00-04:00, ordinary night", BERLIN_NIGHT, "2026-10-23T12:00", "2026-10-24T12:00",
     timedelta(hours=3)),
    ("Berlin 01:00-04:00, skipped hour", BERLIN_NIGHT, "2026-03-28T12:00", "2026-03-29T12:00",
     timedelta(hours=2)),
    ("Berlin 01:00-04:00, repeated hour", BERLIN_NIGHT, "2026-10-24T12:00", "2026-10-25T12:00",
     timedelta(hours=4)),
    ("New York 00:00-06:00, skipped hour", NEW_YORK_NIGHT, "2026-03-07T12:00", "2026-03-08T12:00",
     timedelta(hours=5)),
    ("New York 00:00-06:00, repeated hour", NEW_YORK_NIGHT, "2026-10-31T12:00",
     "2026-11-01T12:00", timedelta(hours=7)),
    ("Havana 20:00-midnight, midnight skipped", HAVANA_EVENING, "2026-03-07T12:00",
     "2026-03-08T12:00", timedelta(hours=4)),
    ("Havana 20:00-midnight, midnight twice", HAVANA_EVENING, "2026-10-31T12:00",
     "2026-11-01T12:00", timedelta(hours=4)),
    # 00:00 EDT to the second 01:30, EST.
    ("New York window ending in the repeated hour", NEW_YORK_TO_0130, "2026-10-31T12:00",
     "2026-11-01T12:00", timedelta(hours=2, minutes=30)),
    # 02:30 never shows; the window opens when the clock jumps to 03:00 EDT (07:00 UTC).
    ("New York window opening in the skipped hour", NEW_YORK_FROM_0230, "2026-03-07T12:00",
     "2026-03-08T12:00", timedelta(hours=3)),
    # Saturday 20:00 ADT (23:00 UTC) to the second Sunday 00:00, AST (04:00 UTC).
    ("Goose Bay evening to a midnight shown twice", GOOSE_BAY_EVENING, "2009-10-31T12:00",
     "2009-11-01T12:00", timedelta(hours=5)),
    ("Goose Bay, from a Sunday time inside Saturday's window", GOOSE_BAY_EVENING,
     "2009-11-01T03:00:30", "2009-11-01T03:30", timedelta(minutes=29, seconds=30)),
    # Saturday's window runs to 04:00 UTC and Sunday's opens at 03:00 UTC: that hour counts once.
    ("Goose Bay around the clock, overlapping days", GOOSE_BAY_ROUND_THE_CLOCK,
     "2009-10-31T12:00", "2009-11-01T12:00", timedelta(hours=24)),
    # Sunday's window opens at 00:00 ADT (03:00 UTC); 03:30 UTC shows Saturday 23:30 AST again.
    ("Goose Bay, to a Saturday time inside Sunday's window", GOOSE_BAY_NIGHT,
     "2009-11-01T02:00", "2009-11-01T03:30", timedelta(minutes=30)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("owner", "start", "end", "expected"),
    [case[1:] for case in WORKING_TIME],
    ids=[case[0] for case in WORKING_TIME],
)
def test_working_time_between(owner: Rep, start: str, end: str, expected: timedelta) -> None:
    assert working_time_between(utc(start), utc(end), owner) == expected


ROUND_TRIP_OWNERS = [
    UTC_REP,
    BERLIN,
    BERLIN_NIGHT,
    NEW_YORK_NIGHT,
    NEW_YORK_TO_0130,
    NEW_YORK_FROM_0230,
    HAVANA_EVENING,
]


@pytest.mark.parametrize("owner", ROUND_TRIP_OWNERS)
@pytest.mark.parametrize(
    "start", ["2026-03-06T23:10", "2026-03-28T17:45", "2026-10-24T22:05", "2026-10-31T21:50"]
)
@pytest.mark.parametrize(
    "duration", [timedelta(minutes=1), timedelta(minutes=77), timedelta(hours=9, seconds=13)]
)
def test_working_time_between_measures_what_add_working_time_added(
    owner: Rep, start: str, duration: timedelta
) -> None:
    deadline = add_working_time(utc(start), duration, owner)
    assert deadline > utc(start)
    assert working_time_between(utc(start), deadline, owner) == duration


@pytest.mark.parametrize(
    ("owner", "start", "duration", "deadline"),
    [
        # 03:00:30 UTC shows Sunday 00:00:30 ADT, yet Saturday's window runs to 04:00 UTC.
        (GOOSE_BAY_EVENING, "2009-11-01T03:00:30", timedelta(minutes=1), "2009-11-01T03:01:30"),
        # The hour both Saturday's and Sunday's windows hold passes once.
        (GOOSE_BAY_ROUND_THE_CLOCK, "2009-10-31T12:00", timedelta(hours=24), "2009-11-01T12:00"),
    ],
    ids=["start past the local date", "overlapping days"],
)
def test_goose_bay_clock_going_back_over_midnight(
    owner: Rep, start: str, duration: timedelta, deadline: str
) -> None:
    assert add_working_time(utc(start), duration, owner) == utc(deadline)


def test_a_long_run_of_holidays_only_delays_the_deadline() -> None:
    # Thirty Mondays off (over 200 days) for a Monday-only rep: the deadline is the 31st Monday.
    mondays_off = tuple(date(2026, 11, 23) + timedelta(weeks=n) for n in range(30))
    owner = rep(working_days=(0,), holidays=mondays_off)
    deadline = add_working_time(utc("2026-11-23T10:00"), timedelta(minutes=5), owner)
    assert deadline == utc("2027-06-21T08:05")


def test_a_year_of_working_time_ends_at_the_close_of_the_last_day() -> None:
    # 52 weeks of 50 hours from Monday 08:00 end on the Friday 18:00 before the 52nd Monday.
    deadline = add_working_time(utc("2026-01-05T08:00"), timedelta(hours=50 * 52), UTC_REP)
    assert deadline == utc("2027-01-01T18:00")


def test_adding_no_working_time_is_the_start_itself() -> None:
    assert add_working_time(utc("2026-11-28T10:00"), timedelta(0), UTC_REP) == utc(
        "2026-11-28T10:00"
    )


@pytest.mark.parametrize(
    ("owner", "duration", "message"),
    [
        (UTC_REP, timedelta(minutes=-1), "cannot be negative"),
        (rep(working_days=()), timedelta(minutes=5), "no working days"),
        (
            rep(
                working_days=(0,),
                holidays=tuple(date(2026, 11, 23) + timedelta(weeks=n) for n in range(60)),
            ),
            timedelta(minutes=5),
            "no working time in 400 days",
        ),
    ],
    ids=["negative", "no working days", "every working day a holiday"],
)
def test_add_working_time_refuses(owner: Rep, duration: timedelta, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        add_working_time(utc("2026-11-23T10:00"), duration, owner)


def test_naive_instants_are_refused() -> None:
    naive = datetime(2026, 11, 23, 10, 0)
    with pytest.raises(ValueError, match="aware"):
        start_clock(naive, "hot", DEFAULT, UTC_REP)
    with pytest.raises(ValueError, match="aware"):
        add_working_time(naive, timedelta(minutes=5), UTC_REP)
    with pytest.raises(ValueError, match="aware"):
        working_time_between(utc("2026-11-23T10:00"), naive, UTC_REP)


def test_an_offset_start_is_kept_as_utc() -> None:
    berlin_noon = datetime.fromisoformat("2026-11-23T12:00+01:00")
    clock = start_clock(berlin_noon, "hot", DEFAULT, UTC_REP)
    assert clock.started_at.utcoffset() == timedelta(0)
    assert clock.breach_at == utc("2026-11-23T11:05")


FIXED_CLOCK = SlaClock(
    tier="hot",
    started_at=utc("2026-11-23T10:00"),
    target=timedelta(minutes=5),
    reminder_at=utc("2026-11-23T10:04"),
    breach_at=utc("2026-11-23T10:05"),
    escalation_at=utc("2026-11-23T10:15"),
)

R, B, E = SlaLevel.REMINDER, SlaLevel.BREACH, SlaLevel.ESCALATION


@pytest.mark.parametrize(
    ("fired", "at", "due"),
    [
        (0, "2026-11-23T10:03:59", []),
        (0, "2026-11-23T10:04", [R]),
        (0, "2026-11-23T10:04:30", [R]),
        (0, "2026-11-23T10:05", [B]),
        (0, "2026-11-23T10:14", [B]),
        (0, "2026-11-23T10:15", [B, E]),
        (0, "2026-11-24T09:00", [B, E]),
        (1, "2026-11-23T10:04:30", []),
        (1, "2026-11-23T10:05", [B]),
        (1, "2026-11-23T10:20", [B, E]),
        (2, "2026-11-23T10:14:59", []),
        (2, "2026-11-23T10:15", [E]),
        (3, "2026-11-23T10:15", []),
        (3, "2026-11-30T10:00", []),
    ],
)
def test_levels_due(fired: int, at: str, due: list[SlaLevel]) -> None:
    assert FIXED_CLOCK.levels_due(fired, utc(at)) == due


@pytest.mark.parametrize(
    ("fired", "level", "at"),
    [
        (0, R, "2026-11-23T10:04"),
        (1, B, "2026-11-23T10:05"),
        (2, E, "2026-11-23T10:15"),
        (3, None, None),
    ],
)
def test_next_level_and_next_at(fired: int, level: SlaLevel | None, at: str | None) -> None:
    assert FIXED_CLOCK.next_level(fired) is level
    assert FIXED_CLOCK.next_at(fired) == (None if at is None else utc(at))


def test_a_negative_fired_level_is_refused() -> None:
    with pytest.raises(ValueError, match="0 for none"):
        FIXED_CLOCK.levels_due(-1, utc("2026-11-23T10:05"))
    with pytest.raises(ValueError, match="0 for none"):
        FIXED_CLOCK.next_at(-1)


# A hot lead at Friday 17:58 UTC, looked at on Monday 08:05 UTC.
FRIDAY_LATE = "2026-11-27T17:58"
MONDAY_EARLY = "2026-11-30T08:05"


@pytest.mark.parametrize(
    ("policy", "owner", "at", "counted", "words"),
    [
        (DEFAULT, UTC_REP, MONDAY_EARLY, timedelta(minutes=7), "7 min"),
        (DEFAULT, UTC_REP, "2026-11-27T17:59:30", timedelta(seconds=90), "1 min"),
        (DEFAULT, UTC_REP, "2026-11-27T17:00", timedelta(0), "0 s"),
        (WALL_CLOCK, UTC_REP, MONDAY_EARLY, timedelta(days=2, hours=14, minutes=7), "2 d 14 h"),
        (DEFAULT, None, MONDAY_EARLY, timedelta(days=2, hours=14, minutes=7), "2 d 14 h"),
        (DEFAULT, None, "2026-11-27T17:00", timedelta(0), "0 s"),
    ],
)
def test_elapsed(
    policy: SlaPolicy, owner: Rep | None, at: str, counted: timedelta, words: str
) -> None:
    clock = start_clock(utc(FRIDAY_LATE), "hot", policy, owner)
    spent = elapsed(clock, utc(at), policy, owner)
    assert spent == counted
    assert describe_duration(spent) == words


@pytest.mark.parametrize(
    ("span", "words"),
    [
        (timedelta(0), "0 s"),
        (timedelta(seconds=45), "45 s"),
        (timedelta(seconds=59, microseconds=999_999), "59 s"),
        (timedelta(minutes=1), "1 min"),
        (timedelta(minutes=7, seconds=40), "7 min"),
        (timedelta(minutes=59, seconds=59), "59 min"),
        (timedelta(hours=1), "1 h"),
        (timedelta(hours=1, minutes=5), "1 h 5 min"),
        (timedelta(hours=23, minutes=59), "23 h 59 min"),
        (timedelta(days=1), "1 d"),
        (timedelta(days=1, minutes=30), "1 d"),
        (timedelta(days=2, hours=3), "2 d 3 h"),
        (timedelta(days=2, hours=3, minutes=59), "2 d 3 h"),
        (timedelta(days=40), "40 d"),
        (timedelta(minutes=-7), "-7 min"),
    ],
)
def test_describe_duration(span: timedelta, words: str) -> None:
    assert describe_duration(span) == words


def test_default_policy() -> None:
    policy = SlaPolicy()
    assert dict(policy.targets) == {
        "hot": SlaTarget(minutes=5),
        "warm": SlaTarget(minutes=60),
        "cold": SlaTarget(business_days=1),
    }
    assert (policy.reminder_at, policy.escalate_at) == (0.8, 3.0)
    assert (policy.working_hours, policy.reassign_on_escalation) == (True, False)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"reminder_at": 0.0}, "reminder_at .* between 0 and 1"),
        ({"reminder_at": 1.0}, "reminder_at .* between 0 and 1"),
        ({"reminder_at": 1.5}, "reminder_at .* between 0 and 1"),
        ({"reminder_at": -0.2}, "reminder_at .* between 0 and 1"),
        ({"reminder_at": float("nan")}, "reminder_at .* between 0 and 1"),
        ({"escalate_at": 1.0}, "escalate_at .* above 1"),
        ({"escalate_at": 0.5}, "escalate_at .* above 1"),
        ({"escalate_at": float("inf")}, "escalate_at .* above 1"),
        ({"targets": {}}, "at least one tier"),
        ({"targets": {"hot": SlaTarget()}}, "'hot' must be longer than zero"),
        ({"targets": {"hot": SlaTarget(minutes=-5)}}, "'hot' cannot be negative"),
        (
            {"targets": {"cold": SlaTarget(minutes=60, business_days=-1)}},
            "'cold' cannot be negative",
        ),
    ],
)
def test_policy_validation(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SlaPolicy(**fields)  # type: ignore[arg-type]


def test_an_unknown_tier_names_the_known_ones() -> None:
    with pytest.raises(
        ValueError, match=r"no target for tier 'lukewarm' \(it has: cold, hot, warm\)"
    ):
        start_clock(utc("2026-11-23T10:00"), "lukewarm", DEFAULT, UTC_REP)
