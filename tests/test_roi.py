"""The weekly ROI report: figures per period and currency, the weekly DM, the CLI and the API."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.cli import main
from bot.services import build_services
from bot.settings import load_settings
from core.drafts import Draft, DraftOutcome, DraftStatus
from core.messages import message_from_dict
from core.model import Action, ActionKind, ActionStatus, Deal, Lead, Rep, Role, StageChange, Team
from core.roi import Money
from handlers.roi_report import enqueue_due_roi_reports, roi_key, roi_report
from storage.db import create_engine_for, create_schema
from storage.migrate import upgrade
from storage.uow import UnitOfWorkFactory
from tests.drafting_world import FixedClock
from tests.live_server import serving

# Monday 23 November 2026, 08:00 in New York (13:00 UTC): the manager's week begins.
MONDAY = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
TOKEN = "reports-token-for-tests-0123456789"


def _seed(factory: UnitOfWorkFactory, now: datetime = MONDAY) -> dict[str, int]:
    """A manager with two reps, one rep of another team; actions this week and the week before."""
    with factory() as uow:
        east = uow.teams.add(Team(name="East"))
        west = uow.teams.add(Team(name="West"))
        boss = uow.reps.add(
            Rep("maya@example.com", "Maya Chen", "America/New_York", Role.MANAGER, team_id=east.id)
        )
        ana = uow.reps.add(Rep("ana@example.com", "Ana Lopez", team_id=east.id, manager_id=boss.id))
        ben = uow.reps.add(Rep("ben@example.com", "Ben Okafor", team_id=east.id))
        zed = uow.reps.add(Rep("zed@example.com", "Zed West", team_id=west.id))
        ids = {"boss": boss.id, "ana": ana.id, "ben": ben.id, "zed": zed.id, "east": east.id}
        plan = [  # (rep, days ago done, amount, currency, moved to, days after)
            (ana, 2, 10_000, "USD", "Proposal", 1),
            (ana, 3, 5_000, "EUR", "Won", 2),
            (ben, 4, 7_000, "USD", "Won", 1),
            (ben, 5, 9_000, "USD", None, 0),
            (ana, 9, 20_000, "USD", "Proposal", 3),  # the week before
            (ana, 10, 4_000, "EUR", "Lost", 1),  # lost is no advance
            (zed, 2, 99_000, "USD", "Won", 1),  # another team
        ]
        for rep, ago, amount, currency, to, after in plan:
            done = now - timedelta(days=ago)
            deal = uow.deals.add(
                Deal(f"Deal {ago}{currency}", "Demo", done - timedelta(days=20), owner_id=rep.id,
                     amount=amount, currency=currency)
            )  # fmt: skip
            action = Action(uuid.uuid4(), rep.id or 0, ActionKind.FOLLOW_UP, "deal", deal.id or 0,
                            "t", 1.0, "r", done - timedelta(hours=3))  # fmt: skip
            uow.actions.record_shown([action])
            uow.actions.set_status(action.id, ActionStatus.DONE, at=done)
            if to:
                uow.deals.add_stage_change(
                    StageChange(deal.id or 0, to, done + timedelta(days=after), "Demo")
                )
        for n, outcome in enumerate(("approved", "approved", "edited", "rejected")):
            uow.drafts.add(
                Draft(deal_id=1, rep_id=ana.id or 0, requested_by=ana.id or 0,
                      requested_at=now - timedelta(days=3), status=DraftStatus.APPROVED,
                      outcome=DraftOutcome(outcome), decided_by=ana.id,
                      decided_at=now - timedelta(days=2 if n else 8))
            )  # fmt: skip
        for days, minutes in ((1, 4), (2, 10), (8, 30)):
            start = now - timedelta(days=days)
            uow.leads.add(
                Lead(f"Lead {days}", start, owner_id=ana.id, sla_started_at=start,
                     first_touch_at=start + timedelta(minutes=minutes))
            )  # fmt: skip
        uow.commit()
    return ids


@pytest.fixture
def factory(database_url: str) -> Iterator[UnitOfWorkFactory]:
    engine = create_engine_for(database_url)
    create_schema(engine)
    yield UnitOfWorkFactory(engine)
    engine.dispose()


def test_a_managers_team_week_against_the_week_before(factory):
    ids = _seed(factory)
    with factory() as uow:
        report = roi_report(uow, manager_id=ids["boss"], now=MONDAY)
    assert report.scope == "Maya Chen's team"
    assert set(report.rep_ids) == {ids["boss"], ids["ana"], ids["ben"]}
    cur, prev = report.current, report.previous
    assert (cur.actions_done, cur.deals_moved, cur.deals_won) == (4, 3, 2)
    assert cur.moved_value == (Money("EUR", 5_000), Money("USD", 17_000))
    assert cur.won_value == (Money("EUR", 5_000), Money("USD", 7_000))
    assert (prev.actions_done, prev.deals_moved, prev.deals_won) == (2, 1, 0)
    assert prev.moved_value == (Money("USD", 20_000),)
    assert dict(cur.drafts) == {"approved": 1, "edited": 1, "rejected": 1}
    assert dict(prev.drafts) == {"approved": 1, "edited": 0, "rejected": 0}
    medians = {w.week: w.median for w in report.response}
    assert medians == {"2026-W46": timedelta(minutes=30), "2026-W47": timedelta(minutes=7)}


def test_an_item_listed_for_weeks_counts_in_the_week_it_was_done(factory):
    with factory() as uow:
        ana = uow.reps.add(Rep("ana@example.com", "Ana Lopez"))
        done = MONDAY - timedelta(days=2)
        deal = uow.deals.add(
            Deal("Slow burner", "Demo", MONDAY - timedelta(days=90), owner_id=ana.id,
                 amount=30_000, currency="USD")
        )  # fmt: skip
        action = Action(uuid.uuid4(), ana.id or 0, ActionKind.FOLLOW_UP, "deal", deal.id or 0,
                        "t", 1.0, "r", MONDAY - timedelta(days=60))  # fmt: skip
        uow.actions.record_shown([action])
        uow.actions.set_status(action.id, ActionStatus.DONE, at=done)
        uow.deals.add_stage_change(
            StageChange(deal.id or 0, "Proposal", done + timedelta(days=1), "Demo")
        )
        uow.commit()
    with factory() as uow:
        report = roi_report(uow, now=MONDAY)
    assert (report.current.actions_done, report.current.deals_moved) == (1, 1)
    assert report.current.moved_value == (Money("USD", 30_000),)


def test_a_sales_team_and_everyone(factory):
    ids = _seed(factory)
    with factory() as uow:
        east = roi_report(uow, team_id=ids["east"], now=MONDAY, weeks=2)
        everyone = roi_report(uow, now=MONDAY)
    assert east.scope == "team East" and east.current.actions_done == 6
    assert east.current.since == MONDAY - timedelta(days=14)
    assert everyone.current.won_value == (Money("EUR", 5_000), Money("USD", 106_000))


def test_the_weekly_dm_goes_once_per_manager_per_week(factory):
    ids = _seed(factory)
    sunday = MONDAY - timedelta(days=1)
    assert enqueue_due_roi_reports(factory, at=sunday) == 0
    assert enqueue_due_roi_reports(factory, at=MONDAY - timedelta(hours=1)) == 0  # 07:00 local
    assert enqueue_due_roi_reports(factory, at=MONDAY) == 1
    assert enqueue_due_roi_reports(factory, at=MONDAY + timedelta(minutes=1)) == 0
    assert enqueue_due_roi_reports(factory, at=MONDAY + timedelta(days=1)) == 0  # same week
    key = roi_key(ids["boss"], MONDAY.astimezone().date())
    assert key == f"roi:{ids['boss']}:2026-W48"
    with factory() as uow:
        assert uow.outbox.keys_with_prefix("roi:") == {key}
    assert enqueue_due_roi_reports(factory, at=MONDAY + timedelta(days=7)) == 1


def test_the_message_renders_and_never_adds_currencies(factory):
    ids = _seed(factory)
    enqueue_due_roi_reports(factory, at=MONDAY)
    with factory() as uow:
        key, target, payload = next(i for i in _outbox(uow) if i[0].startswith("roi:"))
    message = message_from_dict(payload["message"])
    assert target == "email:maya@example.com" and payload["rep_id"] == ids["boss"]
    text = json.dumps(payload, ensure_ascii=False)
    assert "$17,000" in text and "€5,000" in text and "$22,000" not in text
    assert "1 as written, 1 edited, 1 rejected" in text and "7 min median" in text
    assert message.title == "What the actions led to: Maya Chen's team"


def _outbox(uow):
    from sqlmodel import select

    from storage.tables import OutboxRow

    return [(r.key, r.target, dict(r.payload)) for r in uow.session.exec(select(OutboxRow))]


@pytest.fixture
def seeded_file(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'roi.db'}"
    upgrade(url)
    engine = create_engine_for(url)
    _seed(UnitOfWorkFactory(engine), now=datetime.now(UTC))
    engine.dispose()
    return url


def test_the_cli_prints_text_and_json(seeded_file, capsys):
    args = ["--database-url", seeded_file, "report", "roi"]
    assert main([*args, "--manager", "maya@example.com"]) == 0
    out = capsys.readouterr().out
    assert "What the actions led to: Maya Chen's team" in out and "This week: 4" in out
    assert main([*args, "--team", "east", "--json", "--weeks", "2"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["scope"] == "team East" and data["current"]["actions_done"] == 6
    assert main([*args, "--manager", "nobody@example.com"]) == 2
    assert capsys.readouterr().err.startswith("error: no rep with the email nobody@example.com")
    assert main([*args, "--weeks", "0"]) == 2


def test_the_api_answers_loopback_and_refuses_remote_clients_without_the_token(
    seeded_file, monkeypatch
):
    app = create_app(load_settings(database_url=seeded_file))
    try:
        with serving(app) as base:
            ok = httpx.get(f"{base}/api/reports/roi", params={"team_id": 1}, timeout=10)
            unknown = httpx.get(f"{base}/api/reports/roi", params={"manager_id": 999}, timeout=10)
            bad = httpx.get(f"{base}/api/reports/roi", params={"weeks": 0}, timeout=10)
            both = httpx.get(
                f"{base}/api/reports/roi", params={"manager_id": 1, "team_id": 1}, timeout=10
            )
            forged = [
                httpx.get(f"{base}/api/reports/roi", params={name: value}, timeout=10)
                for name in ("manager_id", "team_id")
                for value in (0, 2**64)
            ]
    finally:
        app.state.services.close()
    assert ok.status_code == 200 and ok.json()["current"]["actions_done"] == 4
    assert unknown.status_code == 404 and "No manager with id 999" in unknown.json()["detail"]
    assert bad.status_code == 422
    assert both.status_code == 422
    assert "manager_id" in both.json()["detail"] and "team_id" in both.json()["detail"]
    assert [r.status_code for r in forged] == [422] * 4
    monkeypatch.setenv("DEALBOT_ADMIN_TOKEN", TOKEN)
    services = build_services(load_settings(database_url=seeded_file))
    with TestClient(create_app(services.settings, services), client=("203.0.113.5", 4000)) as c:
        assert c.get("/api/reports/roi").status_code == 403
        answer = c.get("/api/reports/roi", headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.status_code == 200 and answer.json()["scope"] == "everyone"
    services.close()


def test_a_manager_whose_day_has_not_begun_waits(factory):
    _seed(factory)
    with factory() as uow:
        boss = uow.reps.by_email("maya@example.com")
        assert boss is not None
        uow.reps.update(
            Rep(**{**{f: getattr(boss, f) for f in boss.__slots__}, "work_start": time(10, 0)})
        )
        uow.commit()
    assert enqueue_due_roi_reports(factory, at=MONDAY) == 0
    assert enqueue_due_roi_reports(factory, at=MONDAY + timedelta(hours=2)) == 1


def _roi_panel(page: str) -> dict[str, list[str]]:
    """The ROI panel's rows: measure -> [last 7 days, 7 days before], tags stripped."""
    found = re.search(r'<section class="panel" id="panel-roi".*?</section>', page, re.S)
    assert found, "the dashboard has no ROI panel"
    rows = re.findall(r'<tr data-measure="([\w-]+)">(.*?)</tr>', found.group(0), re.S)
    return {
        measure: [
            re.sub(r"<br>", " ", re.sub(r"<(?!br>)[^>]+>", "", cell)).strip()
            for cell in re.findall(r'<td class="num">(.*?)</td>', cells, re.S)
        ]
        for measure, cells in rows
    }


def test_the_dashboard_shows_everyones_figures(factory, database_url):
    _seed(factory)
    settings = load_settings(database_url=database_url)
    services = build_services(settings, clock=FixedClock(MONDAY))
    try:
        with serving(create_app(settings, services)) as base:
            page = httpx.get(f"{base}/dashboard", timeout=10).text
    finally:
        services.close()
    assert "Not computed yet" not in page
    assert _roi_panel(page) == {
        "actions": ["5", "2"],
        "moved": ["4", "1"],
        "moved-value": ["€5.0k $116.0k", "$20.0k"],  # per currency, never added
        "won": ["3", "0"],
        "won-value": ["€5.0k $106.0k", "–"],
        "drafts-approved": ["1", "1"],
        "drafts-edited": ["1", "0"],
        "drafts-rejected": ["1", "0"],
    }
    panel = page[page.index('id="panel-roi"') :]
    chart = panel[panel.index("<svg") : panel.index("</svg>")]
    assert "2026-W46" in chart and "30 min median · 1 lead" in chart
    assert "2026-W47" in chart and "7 min median · 2 leads" in chart
