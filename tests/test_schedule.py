"""When a digest is due: local working days and hours across zones, DST, holidays and absences."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from core.model import Rep
from core.schedule import digest_due_date, rep_zone, zone_is_known

EVERY_DAY = (0, 1, 2, 3, 4, 5, 6)
SUN_TO_THU = (6, 0, 1, 2, 3)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def rep(time_zone: str = "UTC", **fields: object) -> Rep:
    return Rep(email="r@example.com", name="R", time_zone=time_zone, **fields)  # type: ignore[arg-type]


NY_AT_0230 = rep("America/New_York", working_days=EVERY_DAY, work_start=time(2, 30))
NY_AT_0130 = rep("America/New_York", working_days=EVERY_DAY, work_start=time(1, 30))
NY_THANKSGIVING = rep("America/New_York", holidays=(date(2026, 11, 26),))

CASES = [
    # (what, rep, at in UTC, due local date or None)
    ("UTC 07:59 is too early", rep(), "2026-11-23T07:59", None),
    ("UTC 08:00 is due", rep(), "2026-11-23T08:00", date(2026, 11, 23)),
    ("UTC 17:59 still catches up", rep(), "2026-11-23T17:59", date(2026, 11, 23)),
    ("UTC 18:00 is after work", rep(), "2026-11-23T18:00", None),
    ("Saturday is not a working day", rep(), "2026-11-28T09:00", None),
    # New York: EST (-5) before 8 March 2026 and after 1 November 2026, EDT (-4) between.
    ("NY Friday before spring DST, 07:00 EST", rep("America/New_York"), "2026-03-06T12:00", None),
    ("NY Friday before spring DST, 08:00 EST", rep("America/New_York"), "2026-03-06T13:00", date(2026, 3, 6)),
    ("NY Monday after spring DST, 08:00 EDT", rep("America/New_York"), "2026-03-09T12:00", date(2026, 3, 9)),
    ("NY Monday after spring DST, 07:59 EDT", rep("America/New_York"), "2026-03-09T11:59", None),
    ("NY Friday before autumn DST, 08:00 EDT", rep("America/New_York"), "2026-10-30T12:00", date(2026, 10, 30)),
    ("NY Monday after autumn DST, 07:30 EST", rep("America/New_York"), "2026-11-02T12:30", None),
    ("NY Monday after autumn DST, 08:00 EST", rep("America/New_York"), "2026-11-02T13:00", date(2026, 11, 2)),
    # Berlin: CET (+1) before 29 March 2026 and after 25 October 2026, CEST (+2) between.
    ("Berlin Friday before spring DST, 07:00 CET", rep("Europe/Berlin"), "2026-03-27T06:00", None),
    ("Berlin Friday before spring DST, 08:00 CET", rep("Europe/Berlin"), "2026-03-27T07:00", date(2026, 3, 27)),
    ("Berlin Monday after spring DST, 08:00 CEST", rep("Europe/Berlin"), "2026-03-30T06:00", date(2026, 3, 30)),
    ("Berlin Friday before autumn DST, 08:00 CEST", rep("Europe/Berlin"), "2026-10-23T06:00", date(2026, 10, 23)),
    ("Berlin Monday after autumn DST, 07:30 CET", rep("Europe/Berlin"), "2026-10-26T06:30", None),
    ("Berlin Monday after autumn DST, 08:00 CET", rep("Europe/Berlin"), "2026-10-26T07:00", date(2026, 10, 26)),
    # A start time the clocks skip (02:30 on 8 March in New York) is due from 03:00 EDT.
    ("NY skipped hour, 01:59 EST", NY_AT_0230, "2026-03-08T06:59", None),
    ("NY skipped hour, 03:00 EDT", NY_AT_0230, "2026-03-08T07:00", date(2026, 3, 8)),
    # A start time that happens twice (01:30 on 1 November): due both times, on the same date.
    ("NY repeated hour, 01:29 EDT", NY_AT_0130, "2026-11-01T05:29", None),
    ("NY repeated hour, 01:30 EDT", NY_AT_0130, "2026-11-01T05:30", date(2026, 11, 1)),
    ("NY repeated hour, 01:30 EST", NY_AT_0130, "2026-11-01T06:30", date(2026, 11, 1)),
    # Kolkata is +05:30 all year.
    ("Kolkata 07:59 IST", rep("Asia/Kolkata"), "2026-11-23T02:29", None),
    ("Kolkata 08:00 IST", rep("Asia/Kolkata"), "2026-11-23T02:30", date(2026, 11, 23)),
    # Auckland is +13 in November: Monday 08:00 there is Sunday 19:00 UTC.
    ("Auckland Sunday 07:59 NZDT", rep("Pacific/Auckland"), "2026-11-22T18:59", None),
    ("Auckland Monday 08:00 NZDT", rep("Pacific/Auckland"), "2026-11-22T19:00", date(2026, 11, 23)),
    ("Auckland Monday after work", rep("Pacific/Auckland"), "2026-11-23T05:00", None),
    # A Sunday-to-Thursday week (Jerusalem, +2 in November).
    ("Sun-Thu week on Sunday", rep("Asia/Jerusalem", working_days=SUN_TO_THU), "2026-11-22T06:00", date(2026, 11, 22)),
    ("Sun-Thu week on Friday", rep("Asia/Jerusalem", working_days=SUN_TO_THU), "2026-11-27T06:00", None),
    # Holidays are local dates.
    ("NY Thanksgiving holiday", NY_THANKSGIVING, "2026-11-26T14:00", None),
    ("NY day after the holiday", NY_THANKSGIVING, "2026-11-27T14:00", date(2026, 11, 27)),
    # Out of office until an instant.
    ("OOO until yesterday", rep(out_of_office_until=utc("2026-11-22T18:00")), "2026-11-23T08:00", date(2026, 11, 23)),
    ("OOO until tomorrow", rep(out_of_office_until=utc("2026-11-24T18:00")), "2026-11-23T08:00", None),
    ("OOO ends mid-morning", rep(out_of_office_until=utc("2026-11-23T10:00")), "2026-11-23T10:00", date(2026, 11, 23)),
    ("inactive rep", rep(active=False), "2026-11-23T08:00", None),
    # A working day that ends at or before it starts runs to midnight.
    ("late shift at 23:00", rep(work_start=time(14, 0), work_end=time(2, 0)), "2026-11-23T23:00", date(2026, 11, 23)),
    ("late shift at 13:59", rep(work_start=time(14, 0), work_end=time(2, 0)), "2026-11-23T13:59", None),
    # An unknown zone falls back to UTC hours.
    ("unknown zone uses UTC, 07:59", rep("Mars/Olympus_Mons"), "2026-11-23T07:59", None),
    ("unknown zone uses UTC, 08:00", rep("Mars/Olympus_Mons"), "2026-11-23T08:00", date(2026, 11, 23)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("who", "at", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_digest_due_date(who: Rep, at: str, expected: date | None) -> None:
    assert digest_due_date(who, utc(at)) == expected


def test_unknown_and_empty_zones_are_reported_and_read_as_utc() -> None:
    assert zone_is_known("Europe/Berlin")
    for name in ("Mars/Olympus_Mons", "", "../etc/passwd"):
        assert not zone_is_known(name)
        assert rep_zone(name) is UTC


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        digest_due_date(rep(), datetime(2026, 11, 23, 8, 0))


def test_an_out_of_office_end_without_zone_reads_as_utc() -> None:
    away = rep(out_of_office_until=datetime(2026, 11, 23, 9, 0))
    assert digest_due_date(away, utc("2026-11-23T08:30")) is None
    assert digest_due_date(away, utc("2026-11-23T09:00")) == date(2026, 11, 23)
