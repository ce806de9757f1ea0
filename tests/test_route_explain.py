"""`dealbot route --explain`: whom routing would pick for a lead now and why, changing nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

import bot.cli_commands  # noqa: F401  (registers `route` on the app)
from bot.cli import app
from core.intake import LeadSubmission
from core.model import Lead, LeadStatus, Signal
from handlers.errors import UserError
from handlers.intake import receive_lead
from handlers.route_explain import explain_route
from storage.db import create_engine_for
from storage.migrate import upgrade
from storage.uow import UnitOfWorkFactory
from tests.lead_world import NOW, FixedClock, desk_for, seed_team

TABLES = ("lead", "lead_assignment", "outbox", "idempotency_key", "signal", "activity", "audit_log")


def snapshot(engine: Engine) -> dict[str, object]:
    """Row counts of every table a routing could touch, and the leads as stored."""
    with engine.connect() as conn:
        counts = {t: conn.execute(text(f"select count(*) from {t}")).scalar() for t in TABLES}
        leads = [tuple(row) for row in conn.execute(text("select * from lead order by id"))]
    return {"counts": counts, "leads": leads}


def test_an_account_lead_goes_to_the_owner_and_later_rules_are_not_reached(database_url):
    deps, _, team = desk_for(database_url)
    form = LeadSubmission(name="Sarah Chen", email="sarah@acme.com", external_id="crm-7")
    lead_id = receive_lead(form, deps, delivery_key="a").lead_id
    for ref in (str(lead_id), "crm-7", " Sarah@Acme.com "):
        explained = explain_route(deps, ref)
        assert explained.lead.id == lead_id
        assert explained.owner is not None and explained.owner.id == team.ana
        assert explained.routing.rule == "account owner"
        assert explained.routing.reason == "Ana: owns acme.com"
        assert [(s.rule, s.outcome) for s in explained.routing.steps] == [
            ("account owner", "picked Ana: owns acme.com")
        ]
        assert explained.not_reached == ("round-robin",)


def test_round_robin_names_every_rule_tried_and_the_eligible_reps(database_url):
    deps, _, team = desk_for(database_url)
    lead_id = receive_lead(LeadSubmission(email="jo@initech.io"), deps, delivery_key="a").lead_id
    explained = explain_route(deps, "jo@initech.io")
    steps = [(s.rule, s.outcome) for s in explained.routing.steps]
    assert steps[0] == ("account owner", "no account owner: initech.io has no account")
    assert steps[-1][0] == "round-robin" and steps[-1][1].startswith("picked ")
    assert ("round-robin", "Kai skipped: outside working hours") in steps  # 23:00 in Tokyo
    eligible = [rep.id for rep in explained.eligible]
    assert set(eligible) == {team.ana, team.ben}  # a manager only when a rule names them
    assert explained.owner is not None and explained.owner.id == eligible[0]
    with deps.uow_factory() as uow:
        first_owner = uow.leads.get(lead_id).owner_id
    assert explained.current_owner is not None and explained.current_owner.id == first_owner
    # The intake's own assignment counts: the same question now picks someone else.
    assert explained.owner.id != first_owner
    assert explained.loads[first_owner].today == 1


def test_explaining_writes_nothing_even_when_the_lead_has_become_hotter(database_url):
    deps, clock, _ = desk_for(database_url)
    result = receive_lead(LeadSubmission(email="vp@initech.io"), deps, delivery_key="a")
    assert result.tier == "cold"
    with deps.uow_factory() as uow:
        uow.signals.add(Signal("demo_request", NOW, 1.0, lead_id=result.lead_id))
        uow.commit()
    clock.advance(minutes=30)
    engine = deps.uow_factory.engine
    before = snapshot(engine)
    explained = explain_route(deps, str(result.lead_id))
    assert explained.tier == "hot" and explained.score_reasons[0] == "Asked for a demo"
    assert snapshot(engine) == before
    with deps.uow_factory() as uow:
        assert uow.leads.get(result.lead_id).tier == "cold"


def test_nobody_at_work_means_the_queue_and_nobody_eligible(database_url):
    deps, clock, _ = desk_for(database_url)
    lead_id = receive_lead(LeadSubmission(email="jo@initech.io"), deps, delivery_key="a").lead_id
    clock.current = NOW.replace(hour=21)
    explained = explain_route(deps, str(lead_id))
    assert explained.owner is None and explained.routing.rule == "queue"
    assert explained.routing.reason.startswith("Queue 'unassigned': nobody available")
    assert explained.eligible == ()


def add_lead(deps, **fields) -> int:
    with deps.uow_factory() as uow:
        lead = uow.leads.add(Lead(created_at=NOW - timedelta(days=1), **fields))
        uow.commit()
    return lead.id


@pytest.mark.parametrize("ref", ["nobody@example.com", "999", "crm-404", "   "])
def test_an_unknown_reference_says_how_to_find_a_lead(database_url, ref):
    deps, _, _ = desk_for(database_url)
    add_lead(deps, name="Jo", email="jo@initech.io")
    with pytest.raises(UserError) as raised:
        explain_route(deps, ref)
    message = str(raised.value)
    assert ("No lead with" in message and "dealbot model score leads" in message) or (
        "Name a lead" in message
    )


def test_an_ambiguous_reference_lists_the_leads_and_asks_for_an_id(database_url):
    deps, _, _ = desk_for(database_url)
    first = add_lead(deps, name="Jo A", email="jo@initech.io")
    second = add_lead(deps, name="Jo B", email="jo@initech.io")
    with pytest.raises(UserError) as raised:
        explain_route(deps, "jo@initech.io")
    assert str(raised.value) == (
        f"'jo@initech.io' matches 2 leads: #{first} Jo A (new), #{second} Jo B (new). "
        f"Give the lead id, e.g. {first}."
    )
    add_lead(deps, name="Numbered", external_id=str(first))
    with pytest.raises(UserError, match="matches 2 leads"):
        explain_route(deps, str(first))


def test_an_email_means_the_open_lead_when_an_older_one_is_closed(database_url):
    deps, _, _ = desk_for(database_url)
    add_lead(deps, name="Jo 2025", email="jo@initech.io", status=LeadStatus.DISQUALIFIED)
    current = add_lead(deps, name="Jo", email="jo@initech.io")
    assert explain_route(deps, "jo@initech.io").lead.id == current


# --- the command line -----------------------------------------------------------------------


@pytest.fixture
def cli_db(tmp_path: Path) -> str:
    """A migrated SQLite file with the lead world's team and one lead from Acme."""
    url = f"sqlite:///{tmp_path / 'dealbot.db'}"
    upgrade(url)
    engine = create_engine_for(url)
    factory = UnitOfWorkFactory(engine)
    seed_team(factory)
    from handlers.lead_desk import DeskDeps

    deps = DeskDeps(uow_factory=factory, clock=FixedClock())
    form = LeadSubmission(name="Sarah Chen", email="sarah@acme.com", company="Acme")
    receive_lead(form, deps, delivery_key="cli")
    receive_lead(
        LeadSubmission(name="[bold]Jo[/bold]", email="jo@initech.io"), deps, delivery_key="j"
    )
    engine.dispose()
    return url


def invoke(*argv: str):
    return CliRunner().invoke(app, list(argv))


def test_the_cli_prints_the_rules_the_owner_and_the_eligible_reps(cli_db):
    engine = create_engine_for(cli_db)
    before = snapshot(engine)
    result = invoke("--database-url", cli_db, "route", "--explain", "sarah@acme.com",
                    "--at", "2026-11-23T14:00")  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "Lead #1 Sarah Chen (Acme), new, as of 2026-11-23 14:00 UTC"
    assert "  account owner: picked Ana: owns acme.com" in lines
    assert "  round-robin: not reached" in lines
    assert "Owner: Ana Lopez <ana@example.com>, by rule 'account owner'" in lines
    assert "Why: Ana: owns acme.com" in lines
    eligible = lines[lines.index("Eligible now, fairest first:") + 1 :]
    assert eligible[-1] == "Nothing was changed."
    assert {line.split(" <")[0].strip() for line in eligible[:-1]} == {
        "Ana Lopez", "Ben Okafor"
    }  # fmt: skip
    assert snapshot(engine) == before
    engine.dispose()


def test_the_cli_prints_form_text_as_it_is(cli_db):
    result = invoke("--database-url", cli_db, "route", "--explain", "2", "--at", "2026-11-23T14:00")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Lead #2 [bold]Jo[/bold] (initech.io), new")


def test_the_cli_uses_the_configured_routing_rules(cli_db, tmp_path, monkeypatch):
    config = tmp_path / "desk.toml"
    config.write_text(
        '[[routing.rules]]\nname = "Ben first"\nkind = "fallback"\nowner = "ben@example.com"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("DEALBOT_LEAD_DESK_CONFIG", str(config))
    result = invoke("--database-url", cli_db, "route", "--explain", "1", "--at", "2026-11-23T14:00")
    assert result.exit_code == 0, result.output
    assert "Owner: Ben Okafor <ben@example.com>, by rule 'Ben first'" in result.stdout
    assert "account owner" not in result.stdout


@pytest.mark.parametrize(
    ("ref", "at", "message"),
    [
        (
            "nobody@example.com",
            "2026-11-23T14:00",
            "error: No lead with the id, external id or email",
        ),
        ("1", "soon", "error: 'soon' is not a date or time"),
    ],
)
def test_cli_errors_are_one_line_and_exit_2(cli_db, ref, at, message):
    result = invoke("--database-url", cli_db, "route", "--explain", ref, "--at", at)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_the_cli_without_a_lead_is_a_usage_error():
    result = invoke("route")
    assert result.exit_code == 2 and "--explain" in result.output
