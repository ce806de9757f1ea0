"""The lead desk configuration file: the example loads as it says, defaults, and one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import create_app
from bot.cli import main
from bot.lead_desk_config import LeadDeskConfigError, load_desk_policy
from bot.services import build_services
from bot.settings import load_settings
from bot.sla_durations import parse_sla_target
from core.lead_scoring import FitRule, ScoringPolicy
from core.routing_rules import (
    Capacity,
    Match,
    RoutingPolicy,
    RoutingRule,
    RuleKind,
    SegmentBands,
)
from core.sla import SlaPolicy, SlaTarget
from handlers.lead_desk import DeskPolicy

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "lead-desk.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "leads.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_file_loads_to_what_it_says() -> None:
    expected = DeskPolicy(
        scoring=ScoringPolicy(
            hot_at=70,
            warm_at=40,
            half_life_days=7,
            fit_points=50,
            intent_points=50,
            intent_scale=10,
            demo_request_kinds=frozenset({"demo_request"}),
            signal_weights={
                "demo_request": 10,
                "trial_signup": 8,
                "pricing_page": 5,
                "demo_page": 4,
                "product_usage": 4,
                "webinar_attended": 3,
                "form_submit": 3,
                "email_click": 2,
                "docs_view": 1.5,
                "email_open": 0.5,
                "blog_view": 0.5,
                "page_view": 0.5,
            },
            fit_rules=(
                FitRule("industry", 15, "software company", contains=("software", "saas")),
                FitRule("employees", 15, "50-5,000 employees", at_least=50, at_most=5000),
                FitRule(
                    "title",
                    10,
                    "decision-maker title",
                    contains=("head", "vp", "director", "chief", "founder"),
                ),
                FitRule(
                    "domain",
                    -10,
                    "personal email domain",
                    equals=("gmail.com", "yahoo.com", "hotmail.com"),
                ),
            ),
        ),
        routing=RoutingPolicy(
            fairness_days=7,
            queue="unassigned",
            skip_outside_hours=True,
            segments=SegmentBands(mid_market_from=200, enterprise_from=1000),
            tier_caps={"hot": Capacity(per_day=10, per_week=40)},
            rules=(
                RoutingRule("account owner", RuleKind.ACCOUNT_OWNER),
                RoutingRule(
                    "EMEA",
                    RuleKind.ASSIGN,
                    match=Match(territories=("EMEA", "DE", "FR")),
                    reps=("ana@example.com", "ben@example.com"),
                    weights={"ana@example.com": 2},
                ),
                RoutingRule(
                    "enterprise",
                    RuleKind.ASSIGN,
                    match=Match(segments=("enterprise",), tiers=("hot", "warm")),
                ),
                RoutingRule("fallback", RuleKind.FALLBACK, owner="mia@example.com"),
            ),
        ),
        sla=SlaPolicy(
            targets={
                "hot": SlaTarget(minutes=5),
                "warm": SlaTarget(minutes=60),
                "cold": SlaTarget(business_days=1),
            },
            reminder_at=0.8,
            escalate_at=3.0,
            working_hours=True,
            reassign_on_escalation=False,
        ),
        channel_tiers=frozenset({"hot", "warm", "cold"}),
        clock_tiers=frozenset({"hot", "warm", "cold"}),
        default_team="Sales",
    )
    assert load_desk_policy(EXAMPLE) == expected


def test_no_file_means_the_built_in_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEALBOT_LEAD_DESK_CONFIG", raising=False)
    settings = load_settings(database_url="sqlite://")
    assert settings.lead_desk_config is None
    services = build_services(settings)
    try:
        assert services.desk_policy == DeskPolicy()
    finally:
        services.close()


def test_an_empty_setting_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEALBOT_LEAD_DESK_CONFIG", "  ")
    assert load_settings(database_url="sqlite://").lead_desk_config is None


def test_an_empty_file_is_the_defaults(tmp_path: Path) -> None:
    assert load_desk_policy(write(tmp_path, "# nothing changed yet\n")) == DeskPolicy()


def test_keys_left_out_keep_their_defaults(tmp_path: Path) -> None:
    policy = load_desk_policy(
        write(
            tmp_path,
            '[scoring]\nhot_at = 80\n[sla.targets]\nhot = "10 min"\n'
            "[scoring.signal_weights]\npricing_page = 6\n[alerts]\nclock_tiers = ['hot']\n",
        )
    )
    assert policy.scoring.hot_at == 80 and policy.scoring.warm_at == 40
    assert policy.scoring.fit_rules == ScoringPolicy().fit_rules
    assert dict(policy.scoring.signal_weights) == {"pricing_page": 6.0}  # the table is replaced
    assert policy.sla.targets == {
        "hot": SlaTarget(minutes=10),
        "warm": SlaTarget(minutes=60),
        "cold": SlaTarget(business_days=1),
    }
    assert policy.routing == RoutingPolicy()
    assert (
        policy.clock_tiers == frozenset({"hot"})
        and policy.channel_tiers == DeskPolicy().channel_tiers
    )


def test_the_service_wiring_loads_the_configured_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(
        "DEALBOT_LEAD_DESK_CONFIG", str(write(tmp_path, "[alerts]\ndefault_team = 'EMEA'\n"))
    )
    services = build_services(load_settings(database_url="sqlite://"))
    try:
        assert services.desk_policy.default_team == "EMEA"
    finally:
        services.close()


@pytest.mark.parametrize(
    ("written", "target"),
    [
        ("5 min", SlaTarget(minutes=5)),
        ("90 min", SlaTarget(minutes=90)),
        ("1 h", SlaTarget(minutes=60)),
        ("2 h 30 min", SlaTarget(minutes=150)),
        ("2h30min", SlaTarget(minutes=150)),
        ("45 minutes", SlaTarget(minutes=45)),
        ("1 business day", SlaTarget(business_days=1)),
        ("2 business days", SlaTarget(business_days=2)),
        ("1 business day 4 h", SlaTarget(minutes=240, business_days=1)),
        (" 3 Hours ", SlaTarget(minutes=180)),
        (15, SlaTarget(minutes=15)),
    ],
)
def test_durations_people_write(written: object, target: SlaTarget) -> None:
    assert parse_sla_target(written) == target


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("", "'' is not a duration"),
        ("five minutes", "'five minutes' is not a duration"),
        ("1.5 h", "'1.5 h' is not a duration"),
        ("1 day", "a plain day is ambiguous"),
        ("2 weeks", "unknown unit 'weeks'"),
        ("1 h 2 h", "gives hours twice"),
        ("0 min", "longer than zero"),
        (0, "longer than zero"),
        (-5, "negative"),
        (True, "must be a duration"),
        (1.5, "must be a duration"),
    ],
)
def test_durations_that_are_refused(written: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_sla_target(written)


RULES = """
[[routing.rules]]
name = "EMEA"
kind = "assign"
territories = ["EMEA"]
"""

BROKEN = [
    pytest.param(
        "[scoring]\nhot_att = 70\n",
        "scoring.hot_att: unknown key; use hot_at, warm_at, half_life_days, fit_points, "
        "intent_points, intent_scale, signal_weights, fit_rules, demo_request_kinds",
        id="unknown key",
    ),
    pytest.param(
        "[scorin]\nhot_at = 70\n",
        "scorin: unknown key; use scoring, routing, sla, alerts",
        id="unknown table",
    ),
    pytest.param(
        RULES + 'reps = ["ana@example.com"]\nowner = "mia@example.com"\n',
        "routing.rules[0].owner: only a fallback rule has an owner, not assign",
        id="owner on an assign rule",
    ),
    pytest.param(
        '[scoring]\nhot_at = "70"\n',
        'scoring.hot_at: must be a number, not "70"',
        id="number in quotes",
    ),
    pytest.param(
        '[sla]\nworking_hours = "yes"\n',
        'sla.working_hours: must be true or false, not "yes"',
        id="wrong type",
    ),
    pytest.param(
        "[routing]\nfairness_days = 1.5\n",
        "routing.fairness_days: must be a whole number, not 1.5",
        id="fraction for a count",
    ),
    pytest.param(
        '[sla.targets]\nhot = "5 days"\n',
        "sla.targets.hot: '5 days': say 'business days' or hours; a plain day is ambiguous",
        id="bad duration",
    ),
    pytest.param(
        '[sla.targets]\nwarm = "soon"\n',
        'sla.targets.warm: \'soon\' is not a duration; write e.g. "5 min", "2 h 30 min" or '
        '"1 business day"',
        id="duration in words",
    ),
    pytest.param(
        "[scoring]\nwarm_at = 80\n",
        "scoring.warm_at: warm_at (80) must be below hot_at (70)",
        id="warm_at above hot_at",
    ),
    pytest.param(
        "[scoring]\nhot_at = 30\n",
        "scoring.hot_at: warm_at (40) must be below hot_at (30)",
        id="hot_at below the default warm_at",
    ),
    pytest.param(
        RULES + '\n[[routing.rules]]\nname = "last resort"\nkind = "fallback"\n',
        "routing.rules[1].owner: a fallback rule needs an owner (a rep's email)",
        id="fallback without owner",
    ),
    pytest.param(
        RULES + '\n[[routing.rules]]\nname = "emea "\nkind = "account_owner"\n',
        "routing.rules[1].name: 'emea ' is also the name of routing.rules[0]",
        id="duplicate rule names",
    ),
    pytest.param(
        RULES * 2 + '\n[[routing.rules]]\nname = "pool"\nkind = "round_robin"\n',
        'routing.rules[2].kind: must be one of account_owner, assign, fallback, not "round_robin"',
        id="unknown rule kind",
    ),
    pytest.param(
        '[[routing.rules]]\nkind = "assign"\n',
        "routing.rules[0].name: is required",
        id="rule without a name",
    ),
    pytest.param(
        '[[routing.rules]]\nname = "queue"\nkind = "assign"\n',
        "routing.rules[0].name: 'queue' names leads no rule placed; pick another name",
        id="rule named queue",
    ),
    pytest.param(
        RULES + 'reps = ["ana@example.com"]\nweights = { "ben@example.com" = 2 }\n',
        'routing.rules[0].weights."ben@example.com": is not one of this rule\'s reps',
        id="weight for a rep not in the pool",
    ),
    pytest.param(
        RULES + 'weights = { "ana@example.com" = 0 }\n',
        'routing.rules[0].weights."ana@example.com": must be above 0, not 0',
        id="zero weight",
    ),
    pytest.param(
        RULES + 'segments = ["enterprize"]\n',
        "routing.rules[0].segments: 'enterprize' is not a segment; use smb, mid-market, enterprise",
        id="unknown segment",
    ),
    pytest.param(
        RULES + "min_employees = 500\nmax_employees = 50\n",
        "routing.rules[0].min_employees: 500 is above max_employees (50)",
        id="employee bounds swapped",
    ),
    pytest.param(
        "[routing.segments]\nenterprise_from = 100\n",
        "routing.segments.enterprise_from: mid_market_from (200) must not be above "
        "enterprise_from (100)",
        id="segment bands swapped",
    ),
    pytest.param(
        '[sla.targets]\nlukewarm = "1 h"\n',
        "sla.targets.lukewarm: unknown key; use hot, warm, cold",
        id="unknown tier in targets",
    ),
    pytest.param(
        '[alerts]\nchannel_tiers = ["hot", "boiling"]\n',
        'alerts.channel_tiers[1]: must be one of hot, warm, cold, not "boiling"',
        id="unknown tier in alerts",
    ),
    pytest.param(
        "[routing.tier_caps.boiling]\nper_day = 3\n",
        "routing.tier_caps.boiling: unknown key; use hot, warm, cold",
        id="unknown tier in caps",
    ),
    pytest.param(
        "[routing.tier_caps.hot]\nper_day = -1\n",
        "routing.tier_caps.hot.per_day: must be 0 or more, not -1",
        id="negative cap",
    ),
    pytest.param(
        "[sla]\nreminder_at = 1.5\n",
        "sla.reminder_at: must be below 1, not 1.5",
        id="reminder after the breach",
    ),
    pytest.param(
        '[[scoring.fit_rules]]\nfield = "industry"\npoints = 10\nlabel = "any"\n',
        "scoring.fit_rules[0]: Fit rule 'any' needs equals, contains, at_least or at_most",
        id="fit rule without a condition (the core's own check)",
    ),
    pytest.param(
        "[scoring.signal_weights]\npricing_page = 5\nPricing-Page = 6\n",
        "scoring: Scoring policy: signal kind 'pricing_page' is listed twice",
        id="signal kind twice after normalising",
    ),
    pytest.param("scoring = 3\n", "scoring: must be a table, not 3", id="value for a table"),
]


@pytest.mark.parametrize(("text", "message"), BROKEN)
def test_a_broken_file_is_one_line_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(LeadDeskConfigError) as raised:
        load_desk_policy(path)
    assert str(raised.value) == f"lead desk config {path}: {message}"
    assert "\n" not in str(raised.value)


def test_toml_syntax_errors_say_where(tmp_path: Path) -> None:
    path = write(tmp_path, "[scoring]\nhot_at = \n")
    with pytest.raises(LeadDeskConfigError, match=r"leads.toml: not valid TOML: .*line 2"):
        load_desk_policy(path)


def test_a_missing_file_names_the_setting(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(LeadDeskConfigError) as raised:
        load_desk_policy(path)
    assert str(raised.value) == f"lead desk config {path}: no such file (DEALBOT_LEAD_DESK_CONFIG)"


def test_many_problems_stay_on_one_line(tmp_path: Path) -> None:
    text = "[scoring]\n" + "".join(f"typo_{n} = 1\n" for n in range(8))
    with pytest.raises(LeadDeskConfigError) as raised:
        load_desk_policy(write(tmp_path, text))
    message = str(raised.value)
    assert "\n" not in message and message.count("unknown key") == 5
    assert message.endswith("; and 3 more")


BROKEN_KIND = RULES + '\n[[routing.rules]]\nname = "x"\nkind = "robin"\n'


def test_the_cli_stops_with_one_line_and_exit_2(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DEALBOT_LEAD_DESK_CONFIG", str(write(tmp_path, BROKEN_KIND)))
    code = main(["--database-url", f"sqlite:///{tmp_path / 'dealbot.db'}", "reps"])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.strip() == (
        f"error: lead desk config {tmp_path / 'leads.toml'}: routing.rules[1].kind: "
        'must be one of account_owner, assign, fallback, not "robin"'
    )


def test_serve_refuses_to_start_with_a_broken_file(tmp_path: Path) -> None:
    config = write(tmp_path, BROKEN_KIND)
    environment = {
        "PATH": "/usr/bin:/bin",
        "DEALBOT_LEAD_DESK_CONFIG": str(config),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'dealbot.db'}",
        "DEALBOT_PORT": "1",  # never reached: start-up stops before listening
    }
    finished = subprocess.run(
        [sys.executable, "-c", "from bot.cli import run; run()", "serve"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 2
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in finished.stderr
    assert lines[0].startswith(f"error: lead desk config {config}: routing.rules[1].kind:")


def test_the_app_factory_raises_the_same_error(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DEALBOT_LEAD_DESK_CONFIG", str(write(tmp_path, BROKEN_KIND)))
    with pytest.raises(LeadDeskConfigError, match=r"routing\.rules\[1\]\.kind"):
        create_app(load_settings(database_url="sqlite://"))
