"""Feature building, stage norms and expected days to close: tables of inputs and outputs."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from core.facts import DealFacts, LeadFacts
from core.features import attribute_value, deal_features, lead_features, outcome_like_name
from core.history import expected_days_to_close
from core.model import Account, Deal, Lead
from core.norms import StageNorms, default_stage_norms, smoothed_rates
from core.stages import Pipeline

NOW = datetime(2024, 6, 3, 9, 0)
NORMS = StageNorms(days_in_stage={"Proposal": 10.0}, remaining_days={"Proposal": 30.0})


def _facts(**deal: object) -> DealFacts:
    stage = str(deal.pop("stage", "Proposal"))
    in_stage = float(deal.pop("days_in_stage", 5.0))  # type: ignore[arg-type]
    account = deal.pop("account", None)
    value = Deal(name="Acme", stage=stage, created_at=NOW - timedelta(days=40), **deal)  # type: ignore[arg-type]
    return DealFacts(
        deal=value,
        as_of=NOW,
        stage=stage,
        stage_entered_at=NOW - timedelta(days=in_stage),
        amount=value.amount if value.amount and value.amount > 0 else None,
        last_touch_at=NOW - timedelta(days=21),
        touches_14d=0,
        touches_30d=2,
        touches_total=7,
        account=account,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,200", 1200.0),
        ("3.5", 3.5),
        ("-2", -2.0),
        ("02139", 2139.0),
        ("1e3", 1000.0),
        ("fintech", "fintech"),
        ("  Gold ", "Gold"),
        ("", None),
        ("N/A", None),
        ("-", None),
        (None, None),
        ("inf", "inf"),
        ("12 seats", "12 seats"),
    ],
)
def test_attribute_value(raw: str | None, expected: object) -> None:
    assert attribute_value(raw) == expected


@pytest.mark.parametrize(
    ("column", "leaky"),
    [
        ("Closed Date", True),
        ("lost_reason", True),
        ("LastActivity", True),
        ("Converted", True),
        ("Deal Probability", True),
        ("close_value", True),
        ("Forecast Category", True),
        ("Tags", True),
        ("Lead Stage", True),
        ("vertical", False),
        ("Windows Version", False),
        ("lead_source", False),
        ("seats", False),
        ("Total Time Spent on Website", False),
    ],
)
def test_outcome_like_name(column: str, leaky: bool) -> None:
    assert outcome_like_name(column) is leaky


@pytest.mark.parametrize(
    ("deal", "key", "expected"),
    [
        ({"amount": 45000.0}, "log_amount", pytest.approx(4.6532, abs=1e-3)),
        ({"amount": 0.0}, "log_amount", None),
        ({"days_in_stage": 20.0}, "stage_time_ratio", 2.0),
        ({"stage": "Mystery", "days_in_stage": 28.0}, "stage_time_ratio", 2.0),
        ({}, "days_since_touch", 21.0),
        ({}, "touches_30d", 2.0),
        ({"stage": ""}, "stage", None),
        ({"owner_id": 7}, "owner", "7"),
        ({"source": "web"}, "source", "web"),
        ({"attributes": {"vertical": "fintech", "seats": "40"}}, "attr:vertical", "fintech"),
        ({"attributes": {"seats": "40"}}, "attr:seats", 40.0),
        (
            {"account": Account(name="A", industry="retail", attributes={"tier": "gold"})},
            "account:tier",
            "gold",
        ),
        ({"account": Account(name="A", employees=1000)}, "log_employees", 3.0),
    ],
)
def test_deal_features(deal: dict[str, object], key: str, expected: object) -> None:
    assert deal_features(_facts(**deal), NORMS)[key] == expected


@pytest.mark.parametrize(
    ("email", "kind"), [("sam@gmail.com", "free"), ("sam@acme.io", "work"), (None, None)]
)
def test_lead_features_email_kind(email: str | None, kind: str | None) -> None:
    lead = Lead(name="Sam", created_at=NOW, email=email, source="web", attributes={"budget": "5k"})
    features = lead_features(LeadFacts(lead=lead, as_of=NOW, signals_7d=2, signals_total=3))
    assert (features["email_kind"], features["signals_7d"], features["attr:budget"]) == (
        kind,
        2.0,
        "5k",
    )


@pytest.mark.parametrize(
    ("expected_close", "days_in_stage", "days"),
    [
        (NOW.date() + timedelta(days=12), 5.0, 12.0),  # set and plausible: trusted
        (NOW.date() - timedelta(days=3), 5.0, 25.0),  # in the past: norm 30 minus 5 in stage
        (NOW.date() + timedelta(days=200), 5.0, 25.0),  # beyond 3 x the norm: ignored
        (None, 45.0, 7.5),  # past the norm: floored at a quarter of it (a week at least)
        (date(2024, 6, 3), 0.0, 30.0),  # today is not "in the future"
    ],
)
def test_expected_days_to_close(
    expected_close: date | None, days_in_stage: float, days: float
) -> None:
    facts = _facts(expected_close=expected_close, days_in_stage=days_in_stage)
    assert expected_days_to_close(facts, NORMS, Pipeline()) == days


def test_fresh_install_uses_the_default_stage_ladder() -> None:
    norms = default_stage_norms(Pipeline())
    rates = [round(norms.win_rate(s).rate, 2) for s in Pipeline().open_stages]
    assert rates == [0.10, 0.20, 0.35, 0.50, 0.65]


@pytest.mark.parametrize(
    ("wins", "n", "low", "high"),
    [
        (0, 0, 0.34, 0.36),  # no evidence: the default for Proposal
        (3, 4, 0.35, 0.55),  # four deals barely move it
        (300, 400, 0.70, 0.75),  # plenty of evidence dominates
    ],
)
def test_stage_rates_are_smoothed(wins: int, n: int, low: float, high: float) -> None:
    rates, _ = smoothed_rates({"Demo": (wins, n)}, Pipeline(), wins, n)
    assert low <= rates["Demo"].rate <= high
