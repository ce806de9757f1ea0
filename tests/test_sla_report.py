"""The SLA report: percentiles, breaches, waiting leads and weeks as tables; the handler on each
database; `dealbot report sla`; `GET /api/reports/sla` and who may call it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from bot.admin_access import admin_allowed, bearer_token, is_loopback
from bot.app import create_app
from bot.cli import main
from bot.services import build_services
from bot.settings import SettingsError, load_settings
from core.model import Lead, LeadStatus, Rep, Team
from core.sla_report import (
    LeadResponse,
    build_sla_report,
    iso_week,
    percentile,
    response_stats,
    week_start,
)
from handlers.sla_report import sla_report
from storage.db import create_engine_for
from storage.migrate import upgrade
from storage.uow import UnitOfWorkFactory
from tests.live_server import serving

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
TOKEN = "reports-token-for-tests-0123456789"


def minutes(*values: float) -> list[timedelta]:
    return [value * MIN for value in values]


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([], 0.5, None),
        (minutes(7), 0.5, 7 * MIN),
        (minutes(7), 0.9, 7 * MIN),
        (minutes(1, 2, 3, 4), 0.5, 2.5 * MIN),  # even count: the mean of the middle two
        (minutes(1, 2, 3, 4), 0.9, 3.7 * MIN),
        (minutes(4, 1, 3, 2), 0.5, 2.5 * MIN),  # order does not matter
        (minutes(1, 2, 3), 0.5, 2 * MIN),
        (minutes(*range(1, 11)), 0.5, 5.5 * MIN),
        (minutes(*range(1, 11)), 0.9, 9.1 * MIN),
        (minutes(5, 5, 5, 60), 0.9, 43.5 * MIN),  # one slow answer pulls the tail
        (minutes(3, 9), 0.0, 3 * MIN),
        (minutes(3, 9), 1.0, 9 * MIN),
    ],
)
def test_percentiles_interpolate_between_ranks(values, fraction, expected) -> None:
    assert percentile(values, fraction) == expected


def test_a_percentile_outside_0_to_1_is_refused() -> None:
    with pytest.raises(ValueError, match="within 0-1"):
        percentile(minutes(1), 90)


@pytest.mark.parametrize(
    ("started_at", "week", "monday"),
    [
        (datetime(2026, 11, 23, 0, 0, tzinfo=UTC), "2026-W48", date(2026, 11, 23)),
        (datetime(2026, 11, 29, 23, 59, tzinfo=UTC), "2026-W48", date(2026, 11, 23)),
        (datetime(2026, 11, 30, 0, 0, tzinfo=UTC), "2026-W49", date(2026, 11, 30)),
        # Monday 00:30 in Berlin is still Sunday in UTC: weeks are UTC weeks.
        (datetime.fromisoformat("2026-11-30T00:30:00+01:00"), "2026-W48", date(2026, 11, 23)),
        # 2026 has 53 ISO weeks; the first days of 2027 belong to its last.
        (datetime(2027, 1, 2, 12, 0, tzinfo=UTC), "2026-W53", date(2026, 12, 28)),
        (datetime(2027, 1, 4, 9, 0, tzinfo=UTC), "2027-W01", date(2027, 1, 4)),
    ],
)
def test_weeks_are_iso_weeks_in_utc(started_at: datetime, week: str, monday: date) -> None:
    assert iso_week(started_at) == week
    assert week_start(week) == monday


def lead(
    lead_id: int,
    started: datetime | None,
    *,
    touched_after: timedelta | None = None,
    owner: int | None = None,
    team: int | None = None,
    fired: int = 0,
    status: LeadStatus = LeadStatus.NEW,
    tier: str = "hot",
) -> Lead:
    return Lead(
        name=f"Buyer {lead_id}",
        email=f"buyer{lead_id}@example.com",
        company=f"Company {lead_id}",
        created_at=started or NOW - timedelta(days=30),
        id=lead_id,
        owner_id=owner,
        team_id=team,
        tier=tier,
        status=status,
        sla_started_at=started,
        first_touch_at=None
        if touched_after is None or started is None
        else started + touched_after,
        sla_fired=fired,
    )


REPS = {1: "Ana Lopez", 2: "Ben Okafor"}
TEAMS = {10: "Sales", 11: "Partners"}


def report_of(*leads: Lead, since: datetime = NOW - timedelta(days=7), until: datetime = NOW):
    return build_sla_report(leads, rep_names=REPS, team_names=TEAMS, since=since, until=until)


@pytest.mark.parametrize(
    ("row", "time_to_touch", "breached", "waiting"),
    [
        (lead(1, NOW - 2 * MIN * 60, touched_after=4 * MIN), 4 * MIN, False, False),
        (lead(2, NOW - 2 * MIN * 60, touched_after=12 * MIN, fired=2), 12 * MIN, True, False),
        (lead(3, NOW - 2 * MIN * 60, fired=1), None, False, True),  # reminded, not yet breached
        (lead(4, NOW - 2 * MIN * 60, fired=3), None, True, True),  # escalated, still untouched
        (lead(5, NOW - 2 * MIN * 60, status=LeadStatus.DISQUALIFIED), None, False, False),
        (lead(6, NOW - 2 * MIN * 60, status=LeadStatus.CONVERTED, fired=2), None, True, False),
        # A touch logged a moment before the clock started waited nothing.
        (lead(7, NOW - 2 * MIN * 60, touched_after=-MIN), timedelta(0), False, False),
    ],
)
def test_each_lead_says_how_long_it_waited(row, time_to_touch, breached, waiting) -> None:
    (response,) = report_of(row).leads
    assert (response.time_to_first_touch, response.breached, response.waiting) == (
        time_to_touch,
        breached,
        waiting,
    )


def test_only_clocks_started_in_the_window_count() -> None:
    since, until = NOW - timedelta(days=7), NOW
    report = report_of(
        lead(1, since),  # the start is in
        lead(2, until),  # the end is out
        lead(3, since - MIN),
        lead(4, None),  # no clock at all
        lead(5, until - MIN),
    )
    assert [row.lead_id for row in report.leads] == [1, 5]


def test_groups_by_rep_team_and_week() -> None:
    last_week = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)
    report = report_of(
        lead(1, last_week, touched_after=4 * MIN, owner=1, team=10),
        lead(2, last_week + timedelta(days=1), touched_after=12 * MIN, owner=1, team=10, fired=2),
        lead(3, NOW - timedelta(hours=3), owner=2, team=10, fired=3),
        lead(4, NOW - timedelta(hours=2), owner=None, team=None),
        lead(5, NOW - timedelta(hours=1), touched_after=30 * MIN, owner=2, team=11),
        lead(6, last_week, owner=9, team=10, status=LeadStatus.DISQUALIFIED),  # a deleted rep
    )

    def rows(groups):
        return [
            (g.label, g.id, g.count, g.touched, g.median, g.p90, g.breaches, g.waiting)
            for g in groups
        ]

    assert rows(report.by_rep) == [
        ("Ana Lopez", 1, 2, 2, 8 * MIN, 11.2 * MIN, 1, 0),
        ("Ben Okafor", 2, 2, 1, 30 * MIN, 30 * MIN, 1, 1),
        ("rep 9", 9, 1, 0, None, None, 0, 0),
        ("unassigned", None, 1, 0, None, None, 0, 1),
    ]
    assert rows(report.by_team) == [
        ("Partners", 11, 1, 1, 30 * MIN, 30 * MIN, 0, 0),
        ("Sales", 10, 4, 2, 8 * MIN, 11.2 * MIN, 2, 1),
        ("no team", None, 1, 0, None, None, 0, 1),
    ]
    assert rows(report.by_week) == [
        ("2026-W47", None, 3, 2, 8 * MIN, 11.2 * MIN, 1, 0),
        ("2026-W48", None, 3, 1, 30 * MIN, 30 * MIN, 1, 2),
    ]
    assert rows([report.overall]) == [("all leads", None, 6, 3, 12 * MIN, 26.4 * MIN, 2, 2)]
    assert [row.lead_id for row in report.breached] == [2, 3]


def test_an_empty_group_has_no_times() -> None:
    stats = response_stats("nobody", None, [])
    assert (stats.count, stats.touched, stats.median, stats.p90) == (0, 0, None, None)


def test_the_json_form_has_seconds_and_no_personal_data() -> None:
    report = report_of(
        lead(1, NOW - timedelta(hours=5), touched_after=90 * timedelta(seconds=1), owner=1, team=10)
    )
    data = json.loads(json.dumps(report.to_dict()))
    assert data["overall"] == {
        "count": 1,
        "touched": 1,
        "median_seconds": 90.0,
        "p90_seconds": 90.0,
        "breaches": 0,
        "waiting": 0,
    }
    assert data["by_rep"][0]["rep"] == "Ana Lopez" and data["by_rep"][0]["rep_id"] == 1
    assert data["by_team"][0]["team"] == "Sales"
    assert data["by_week"][0]["week"] == "2026-W48"
    assert data["by_week"][0]["week_start"] == "2026-11-23"
    assert data["leads"] == [
        {
            "lead_id": 1,
            "company": "Company 1",
            "tier": "hot",
            "owner_id": 1,
            "owner": "Ana Lopez",
            "team_id": 10,
            "team": "Sales",
            "started_at": "2026-11-23T09:00:00+00:00",
            "first_touch_at": "2026-11-23T09:01:30+00:00",
            "seconds_to_first_touch": 90.0,
            "breached": False,
            "waiting": False,
        }
    ]
    assert "Buyer" not in json.dumps(data) and "@example.com" not in json.dumps(data)


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        (NOW, NOW, "ends"),
        (NOW, NOW - MIN, "ends"),
        (NOW.replace(tzinfo=None) - MIN, NOW, "aware"),
    ],
)
def test_a_window_must_make_sense(since, until, message) -> None:
    with pytest.raises(ValueError, match=message):
        report_of(since=since, until=until)


# --- The handler on SQLite and PostgreSQL, the CLI and the HTTP API ----------------------------


def seed_leads(factory: UnitOfWorkFactory, now: datetime) -> dict[str, int]:
    """Ana answered twice (4 and 12 min, the second after its breach), Ben's lead waits after an
    escalation, one lead waits in the queue, one old lead and one without a clock are left out."""
    with factory() as uow:
        sales = uow.teams.add(Team(name="Sales", alert_channel="C0LEADS"))
        ana = uow.reps.add(Rep(email="ana@example.com", name="Ana Lopez", team_id=sales.id))
        ben = uow.reps.add(Rep(email="ben@example.com", name="Ben Okafor", team_id=sales.id))
        gone = uow.reps.add(Rep(email="eve@example.com", name="Eve Gone", active=False))

        def add(company: str, started: datetime | None, **fields: object) -> int:
            row = uow.leads.add(
                Lead(
                    name="Sam Buyer",
                    email="sam@buyer.example",
                    company=company,
                    created_at=started or now - timedelta(days=20),
                    sla_started_at=started,
                    **fields,  # type: ignore[arg-type]
                )
            )
            assert row.id is not None
            return row.id

        ids = {
            "acme": add(
                "Acme",
                now - timedelta(days=3),
                tier="hot",
                owner_id=ana.id,
                team_id=sales.id,
                first_touch_at=now - timedelta(days=3) + 4 * MIN,
            ),
            "globex": add(
                "Globex",
                now - timedelta(days=2),
                tier="hot",
                owner_id=ana.id,
                team_id=sales.id,
                first_touch_at=now - timedelta(days=2) + 12 * MIN,
                sla_fired=2,
            ),
            "initech": add(
                "Initech",
                now - timedelta(days=1),
                tier="warm",
                owner_id=ben.id,
                team_id=sales.id,
                sla_fired=3,
            ),
            "umbrella": add("Umbrella", now - timedelta(hours=5), tier="cold"),
            "hooli": add(
                "Hooli",
                now - timedelta(days=2),
                tier="warm",
                owner_id=gone.id,
                team_id=sales.id,
                status=LeadStatus.DISQUALIFIED,
            ),
            "old": add("Old Co", now - timedelta(days=10), tier="hot", owner_id=ana.id),
            "no clock": add("Quiet", None),
        }
        uow.commit()
    return ids


@pytest.fixture
def migrated(database_url: str) -> Iterator[str]:
    upgrade(database_url)
    yield database_url


def test_the_handler_reads_the_report_from_each_database(migrated: str) -> None:
    engine = create_engine_for(migrated)
    try:
        factory = UnitOfWorkFactory(engine)
        ids = seed_leads(factory, NOW)
        report = sla_report(factory, since=NOW - timedelta(days=7), until=NOW)
    finally:
        engine.dispose()
    assert [row.lead_id for row in report.leads] == [
        ids["acme"],
        ids["globex"],
        ids["hooli"],
        ids["initech"],
        ids["umbrella"],
    ]
    by_rep = {
        g.label: (g.count, g.touched, g.median, g.p90, g.breaches, g.waiting) for g in report.by_rep
    }
    assert by_rep == {
        "Ana Lopez": (2, 2, 8 * MIN, 11.2 * MIN, 1, 0),
        "Ben Okafor": (1, 0, None, None, 1, 1),
        "Eve Gone": (1, 0, None, None, 0, 0),  # inactive reps keep their name
        "unassigned": (1, 0, None, None, 0, 1),
    }
    assert [(g.label, g.count, g.breaches) for g in report.by_team] == [
        ("Sales", 4, 2),
        ("no team", 1, 0),
    ]
    acme = report.leads[0]
    assert isinstance(acme, LeadResponse) and acme.started_at.tzinfo is not None
    assert acme.time_to_first_touch == 4 * MIN
    assert [row.company for row in report.breached] == ["Globex", "Initech"]


@pytest.fixture
def seeded_file(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'dealbot.db'}"
    upgrade(url)
    engine = create_engine_for(url)
    seed_leads(UnitOfWorkFactory(engine), datetime.now(UTC))
    engine.dispose()
    yield url


def test_the_cli_prints_tables_per_rep_team_week_and_the_breached_leads(seeded_file, capsys):
    code = main(["--database-url", seeded_file, "report", "sla", "--days", "7"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "5 leads, 2 touched (median 8 min, p90 11 min), 2 breached, 2 waiting" in out
    for title in ("By rep", "By team", "By week", "Breached"):
        assert title in out
    assert "Ana Lopez" in out and "unassigned" in out and "no team" in out
    assert "Globex" in out and "after 12 min" in out and "waiting" in out
    assert "Old Co" not in out and "Sam Buyer" not in out


def test_the_cli_prints_json(seeded_file, capsys) -> None:
    code = main(["--database-url", seeded_file, "report", "sla", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert data["overall"]["count"] == 5 and data["overall"]["median_seconds"] == 480.0
    assert [row["company"] for row in data["leads"] if row["breached"]] == ["Globex", "Initech"]


def test_the_cli_with_a_longer_window_includes_older_clocks(seeded_file, capsys) -> None:
    main(["--database-url", seeded_file, "report", "sla", "--days", "30", "--json"])
    assert json.loads(capsys.readouterr().out)["overall"]["count"] == 6


def test_the_cli_with_nothing_to_report_says_so(tmp_path, capsys) -> None:
    code = main(["--database-url", f"sqlite:///{tmp_path / 'empty.db'}", "report", "sla"])
    out, _ = capsys.readouterr()
    assert code == 0 and "No response clocks started" in out


def test_the_cli_refuses_a_bad_window_in_one_line(seeded_file, capsys) -> None:
    code = main(["--database-url", seeded_file, "report", "sla", "--days", "0"])
    _, err = capsys.readouterr()
    assert code == 2 and err.startswith("error: ") and "--days" in err


def test_the_api_answers_loopback_clients_with_the_report(seeded_file) -> None:
    settings = load_settings(database_url=seeded_file)
    app = create_app(settings)
    try:
        with serving(app) as base:
            response = httpx.get(f"{base}/api/reports/sla", params={"days": 7}, timeout=10)
            too_long = httpx.get(f"{base}/api/reports/sla", params={"days": 9999}, timeout=10)
        expected = sla_report(
            app.state.services.uow_factory,
            since=datetime.now(UTC) - timedelta(days=7),
            until=datetime.now(UTC),
        ).to_dict()
    finally:
        app.state.services.close()
    assert response.status_code == 200
    data = response.json()
    for key in ("overall", "by_rep", "by_team", "by_week", "leads"):
        assert data[key] == expected[key]
    assert too_long.status_code == 422


def test_a_proxy_on_this_host_forwarding_a_remote_client_is_refused(seeded_file) -> None:
    # uvicorn (not the app) believes X-Forwarded-For from a loopback peer, as a proxy sends it.
    app = create_app(load_settings(database_url=seeded_file))
    try:
        with serving(app) as base:
            response = httpx.get(
                f"{base}/api/reports/sla", headers={"X-Forwarded-For": "203.0.113.5"}, timeout=10
            )
    finally:
        app.state.services.close()
    assert response.status_code == 403


@pytest.fixture
def remote_client(seeded_file: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The app as seen from a host on the internet (203.0.113.5), with an admin token set."""
    monkeypatch.setenv("DEALBOT_ADMIN_TOKEN", TOKEN)
    services = build_services(load_settings(database_url=seeded_file))
    app = create_app(services.settings, services)
    with TestClient(app, client=("203.0.113.5", 40000)) as client:
        yield client
    services.close()


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 403),
        ({"Authorization": f"Bearer {TOKEN}"}, 200),
        ({"Authorization": f"bearer {TOKEN}"}, 200),
        ({"Authorization": f"Bearer {TOKEN}x"}, 403),
        ({"Authorization": f"Basic {TOKEN}"}, 403),
        ({"Authorization": "Bearer "}, 403),
        # Anyone can send these; the app does not believe them.
        ({"X-Forwarded-For": "127.0.0.1"}, 403),
        ({"X-Real-IP": "127.0.0.1", "Forwarded": "for=127.0.0.1"}, 403),
    ],
)
def test_other_hosts_need_the_admin_token(remote_client, headers, status) -> None:
    response = remote_client.get("/api/reports/sla", headers=headers)
    assert response.status_code == status
    if status == 403:
        assert "Admin only" in response.json()["detail"]
    else:
        assert response.json()["overall"]["count"] == 5


def test_without_a_token_other_hosts_are_told_how_to_get_in(seeded_file, monkeypatch) -> None:
    monkeypatch.delenv("DEALBOT_ADMIN_TOKEN", raising=False)
    services = build_services(load_settings(database_url=seeded_file))
    try:
        app = create_app(services.settings, services)
        with TestClient(app, client=("198.51.100.7", 1234)) as client:
            response = client.get(
                "/api/reports/sla", headers={"Authorization": "Bearer anything-at-all-here"}
            )
    finally:
        services.close()
    assert response.status_code == 403
    assert "set DEALBOT_ADMIN_TOKEN" in response.json()["detail"]


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("10.0.0.1", False),
        ("203.0.113.5", False),
        ("::ffff:203.0.113.5", False),
        ("localhost", False),  # a name is not an address the server saw
        ("testclient", False),
        ("", False),
        (None, False),
    ],
)
def test_loopback_addresses(host, loopback) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("  BEARER   abc  ", "abc"),
        ("Bearer", None),
        ("Basic abc", None),
        ("", None),
        (None, None),
    ],
)
def test_bearer_tokens(header, token) -> None:
    assert bearer_token(header) == token


def test_a_token_never_matches_when_none_is_configured() -> None:
    remote = {"client_host": "203.0.113.5", "host_is_listed": True}
    assert not admin_allowed(**remote, authorization="Bearer ", admin_token=None)
    assert not admin_allowed(**remote, authorization="Bearer x", admin_token=SecretStr("y"))
    assert admin_allowed(
        client_host="::1", host_is_listed=True, authorization=None, admin_token=None
    )
    assert not admin_allowed(
        client_host="::1", host_is_listed=False, authorization=None, admin_token=None
    )


@pytest.mark.parametrize(
    ("mode", "token", "problem"),
    [
        ("production", "short", "shorter than 16 characters"),
        ("production", "changeme", "placeholder"),
        ("demo", "changeme", None),
        ("production", TOKEN, None),
        ("production", "", None),
    ],
)
def test_admin_token_settings(monkeypatch, mode, token, problem) -> None:
    monkeypatch.setenv("DEALBOT_MODE", mode)
    monkeypatch.setenv("DEALBOT_ADMIN_TOKEN", token)
    if problem is None:
        settings = load_settings(database_url="sqlite://")
        assert (settings.admin_token is None) == (token == "")
        assert TOKEN not in repr(settings)
    else:
        with pytest.raises(SettingsError, match=f"DEALBOT_ADMIN_TOKEN.*{problem}"):
            load_settings(database_url="sqlite://")
