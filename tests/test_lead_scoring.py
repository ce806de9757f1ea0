"""Lead scoring as tables: signal kinds, fit rules, decayed intent, demo requests, tiers, caps."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from core.lead_scoring import (
    DEFAULT_SIGNAL_WEIGHTS,
    FitRule,
    LeadScore,
    ScoringPolicy,
    Tier,
    classify_signal,
    raw_intent,
    score_lead,
    signal_intent,
)
from core.model import Account, Lead, Signal

AT = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
POLICY = ScoringPolicy()
GOOD_FIT = {"industry": "Software", "employees": "250", "title": "VP Sales"}


def lead(**fields: object) -> Lead:
    return Lead(name="Sam Doe", created_at=AT - timedelta(days=1), **fields)  # type: ignore[arg-type]


def seen(kind: str, hours_ago: float = 0.0, detail: str = "", weight: float = 1.0) -> Signal:
    return Signal(
        kind=kind, occurred_at=AT - timedelta(hours=hours_ago), weight=weight, detail=detail
    )


def one_rule(rule: FitRule, **policy: object) -> ScoringPolicy:
    return ScoringPolicy(fit_rules=(rule,), **policy)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "detail", "expected"),
    [
        ("page_view", "/pricing", "pricing_page"),
        ("page_view", "https://x.com/blog/post", "blog_view"),
        ("page_view", "/docs/api/auth", "docs_view"),
        ("page_view", "/demo", "demo_page"),
        ("Page View", "https://www.x.com/en/pricing?utm_source=ad#plans", "pricing_page"),
        ("page-view", "https://x.com/request-a-demo", "demo_page"),
        ("page_view", "/blog/pricing-tips", "blog_view"),
        ("page_view", "/about", "page_view"),
        ("page_view", "", "page_view"),
        ("email_open", "", "email_open"),
        ("Email Click", "https://x.com/pricing", "email_click"),
        ("webinar", "", "webinar_attended"),
        ("webinar_attended", "", "webinar_attended"),
        ("Product-Usage", "", "product_usage"),
        ("trial signup", "", "trial_signup"),
        (" Demo Request ", "/pricing", "demo_request"),
        ("form_submit", "", "form_submit"),
        ("Tweet Liked", "", "tweet_liked"),
    ],
)
def test_classify_signal(kind: str, detail: str, expected: str) -> None:
    assert classify_signal(kind, detail) == expected


def test_pricing_twice_and_a_revisit_count_far_more_than_one_blog_view() -> None:
    revisits = [
        seen("page_view", 2, "/pricing"),
        seen("page_view", 26, "/pricing"),
        seen("page_view", 72, "https://x.com/pricing"),
    ]
    blog = [seen("page_view", 2, "https://x.com/blog/post")]
    hot = score_lead(lead(), revisits, POLICY, at=AT)
    cold = score_lead(lead(), blog, POLICY, at=AT)
    assert hot.intent >= 5 * cold.intent > 0
    assert raw_intent(revisits, POLICY, at=AT) >= 20 * raw_intent(blog, POLICY, at=AT)
    assert "came back within a week" in hot.reasons[-1]
    assert "came back" not in cold.reasons[-1]


@pytest.mark.parametrize(
    ("hours_ago", "kind", "detail", "bonus"),
    [
        ((2, 5), "page_view", "/pricing", 1.0),  # 09:00 and 12:00: the same day
        ((2, 26), "page_view", "/pricing", 1.5),  # today and yesterday
        ((2, 24 * 6), "trial_signup", "", 1.5),  # six days apart is still within a week
        ((2, 24 * 9), "page_view", "/pricing", 1.0),  # the first visit is over a week old
        ((2, 26), "page_view", "/blog/post", 1.0),  # low intent does not count as coming back
    ],
)
def test_coming_back_on_another_day_within_a_week_raises_intent(
    hours_ago: tuple[float, ...], kind: str, detail: str, bonus: float
) -> None:
    signals = [seen(kind, hours, detail) for hours in hours_ago]
    summed = sum(signal_intent(s, POLICY, at=AT) for s in signals)
    assert raw_intent(signals, POLICY, at=AT) == pytest.approx(summed * bonus)


@pytest.mark.parametrize(
    ("days_ago", "half_life", "fraction"),
    [
        (0, 7.0, 1.0),
        (7, 7.0, 0.5),
        (14, 7.0, 0.25),
        (14, 14.0, 0.5),
        (-3, 7.0, 1.0),  # a signal stamped in the future counts as happening now
    ],
)
def test_signals_decay_with_the_half_life(
    days_ago: float, half_life: float, fraction: float
) -> None:
    policy = ScoringPolicy(half_life_days=half_life)
    signal = seen("page_view", days_ago * 24, "/pricing")
    expected = DEFAULT_SIGNAL_WEIGHTS["pricing_page"] * fraction
    assert signal_intent(signal, policy, at=AT) == pytest.approx(expected)
    assert raw_intent([signal], policy, at=AT) == pytest.approx(expected)


@pytest.mark.parametrize(("multiplier", "expected"), [(1.0, 5.0), (2.0, 10.0), (0.0, 0.0)])
def test_a_signal_weight_multiplies_the_policy_weight(multiplier: float, expected: float) -> None:
    signal = seen("page_view", 0, "/pricing", weight=multiplier)
    assert signal_intent(signal, POLICY, at=AT) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("the_lead", "signals"),
    [
        (lead(attributes={"demo_request": "Yes"}), []),
        (lead(attributes={"demo_request": " TRUE "}), []),
        (lead(attributes={"demo_request": "1"}), []),
        (lead(source="Demo request"), []),
        (lead(source="demo-form"), []),
        (lead(), [seen("Demo Request", 24 * 30)]),
    ],
)
def test_an_explicit_demo_request_is_always_hot(the_lead: Lead, signals: list[Signal]) -> None:
    result = score_lead(the_lead, signals, POLICY, at=AT)
    assert result.fit + result.intent < POLICY.warm_at  # hot because of the request...
    assert result.score == POLICY.hot_at  # ...which lifts the score to the hot threshold
    assert result.tier is Tier.HOT
    assert result.demo_requested
    assert result.reasons[0] == "Asked for a demo"


@pytest.mark.parametrize(
    ("the_lead", "signals"),
    [
        (lead(attributes={"demo_request": "no"}), []),
        (lead(attributes={"demo_request": ""}), []),
        (lead(source="Website"), []),
        (lead(), [seen("page_view", 1, "/demo")]),
    ],
)
def test_no_demo_request_without_an_explicit_ask(the_lead: Lead, signals: list[Signal]) -> None:
    result = score_lead(the_lead, signals, POLICY, at=AT)
    assert result.tier is Tier.COLD
    assert not result.demo_requested
    assert "Asked for a demo" not in result.reasons


@pytest.mark.parametrize(
    ("points", "hot_at", "warm_at", "tier"),
    [
        (70, 70.0, 40.0, Tier.HOT),
        (69, 70.0, 40.0, Tier.WARM),
        (40, 70.0, 40.0, Tier.WARM),
        (39, 70.0, 40.0, Tier.COLD),
        (0, 70.0, 40.0, Tier.COLD),
        (80, 80.0, 50.0, Tier.HOT),
        (79, 80.0, 50.0, Tier.WARM),
        (50, 80.0, 50.0, Tier.WARM),
        (49, 80.0, 50.0, Tier.COLD),
    ],
)
def test_tier_thresholds_are_inclusive(
    points: int, hot_at: float, warm_at: float, tier: Tier
) -> None:
    rule = FitRule("industry", points, "software company", equals=("software",))
    policy = one_rule(rule, fit_points=100.0, hot_at=hot_at, warm_at=warm_at)
    result = score_lead(lead(attributes={"industry": "Software"}), [], policy, at=AT)
    assert (result.score, result.tier) == (points, tier)


@pytest.mark.parametrize(
    ("learned_fit", "fit", "reason"),
    [
        (0.62, 31.0, "Fit 31/50: 62% of similar leads converted"),
        (0.0, 0.0, "Fit 0/50: 0% of similar leads converted"),
        (1.0, 50.0, "Fit 50/50: 100% of similar leads converted"),
    ],
)
def test_learned_fit_replaces_the_rules(learned_fit: float, fit: float, reason: str) -> None:
    the_lead = lead(source="Website", attributes=GOOD_FIT)
    assert score_lead(the_lead, [], POLICY, at=AT).fit == 50.0
    result = score_lead(the_lead, [], POLICY, at=AT, learned_fit=learned_fit)
    assert result.fit == pytest.approx(fit)
    assert result.reasons[0] == reason


@pytest.mark.parametrize("learned_fit", [-0.1, 1.2, math.nan])
def test_learned_fit_must_be_a_probability(learned_fit: float) -> None:
    with pytest.raises(ValueError, match="learned_fit"):
        score_lead(lead(), [], POLICY, at=AT, learned_fit=learned_fit)


def test_fit_never_exceeds_fit_points_even_when_rules_add_up_to_more() -> None:
    rules = (
        FitRule("industry", 40, "software company", equals=("software",)),
        FitRule("employees", 40, "50-5,000 employees", at_least=50, at_most=5000),
    )
    result = score_lead(lead(attributes=GOOD_FIT), [], ScoringPolicy(fit_rules=rules), at=AT)
    assert result.fit == 50.0
    assert result.reasons[0] == "Fit 50/50: software company, 50-5,000 employees"


def test_intent_saturates_below_its_cap() -> None:
    signals = [seen("page_view", hours, "/pricing") for hours in range(0, 400, 2)]
    result = score_lead(lead(), signals, POLICY, at=AT)
    assert 49.0 < result.intent <= POLICY.intent_points


def test_score_never_exceeds_100() -> None:
    rule = FitRule("industry", 100, "software company", equals=("software",))
    policy = one_rule(rule, fit_points=100.0, intent_points=100.0)
    signals = [seen("trial_signup", hours) for hours in range(0, 200, 5)]
    result = score_lead(lead(attributes={"industry": "Software"}), signals, policy, at=AT)
    assert result.fit + result.intent > 150
    assert (result.score, result.tier) == (100, Tier.HOT)


def test_score_never_drops_below_0() -> None:
    rule = FitRule("domain", -30, "free-mail address", equals=("gmail.com",))
    policy = one_rule(rule, signal_weights={"unsubscribe": -20.0})
    signals = [seen("unsubscribe", 1)]
    result = score_lead(lead(domain="gmail.com"), signals, policy, at=AT)
    assert raw_intent(signals, policy, at=AT) < 0
    assert (result.score, result.fit, result.intent, result.tier) == (0, 0.0, 0.0, Tier.COLD)


@pytest.mark.parametrize("kind", ["tweet_liked", "Podcast Listen", "page-scroll"])
def test_unknown_signal_kinds_weigh_nothing(kind: str) -> None:
    signals = [seen(kind, 1), seen(kind, 30)]
    result = score_lead(lead(), signals, POLICY, at=AT)
    assert raw_intent(signals, POLICY, at=AT) == 0.0
    assert result.intent == 0.0
    assert result.reasons[-1] == "Intent 0/50: no recent buying signals"
    listed = ScoringPolicy(signal_weights={kind: 2.0})
    assert raw_intent(signals, listed, at=AT) == pytest.approx(
        2.0 * 0.5 ** (1 / 24 / 7) + 2.0 * 0.5 ** (30 / 24 / 7)
    )


@pytest.mark.parametrize(
    ("rule", "the_lead", "account", "matches"),
    [
        (FitRule("industry", 10, "sw", equals=("software",)), {"industry": " Software "}, None, 1),
        (FitRule("industry", 10, "sw", equals=("software",)), {"industry": "Software ag"}, None, 0),
        (FitRule("industry", 10, "saas", contains=("saas",)), {"industry": "B2B SaaS"}, None, 1),
        (FitRule("employees", 10, "mid", at_least=50, at_most=5000), {"employees": "250"}, None, 1),
        (FitRule("employees", 10, "mid", at_least=50), {"employees": "1,200"}, None, 1),
        (FitRule("employees", 10, "mid", at_least=50, at_most=5000), {"employees": "20"}, None, 0),
        (FitRule("employees", 10, "mid", at_least=50), {"employees": "lots"}, None, 0),
        (FitRule("employees", 10, "small", at_most=50), {"employees": "nan"}, None, 0),
        (FitRule("employees", 10, "small", at_most=50), {"employees": "unknown"}, None, 0),
        (FitRule("employees", 10, "mid", at_least=50), {}, None, 0),
        (FitRule("employees", 10, "mid", at_least=50), {}, Account("Acme", employees=300), 1),
        (FitRule("region", 10, "emea", equals=("emea",)), {}, Account("Acme", region="EMEA"), 1),
        (FitRule("Country", 10, "de", equals=("germany",)), {"country": "Germany"}, None, 1),
        (FitRule("title", 10, "vp", contains=("vp", "chief")), {"title": "VP of Sales"}, None, 1),
        (FitRule("title", 10, "vp", contains=("vp", "chief")), {"title": "Intern"}, None, 0),
        (
            FitRule("plan", 10, "enterprise", equals=("enterprise",)),
            {},
            Account("Acme", attributes={"plan": "Enterprise"}),
            1,
        ),
        (  # the lead's custom attribute comes before the account's
            FitRule("plan", 10, "enterprise", equals=("enterprise",)),
            {"plan": "Starter"},
            Account("Acme", attributes={"plan": "Enterprise"}),
            0,
        ),
        (  # the account's curated industry comes before what the lead typed
            FitRule("industry", 10, "sw", equals=("software",)),
            {"industry": "Software"},
            Account("Acme", industry="Retail"),
            0,
        ),
        (  # a numeric custom attribute
            FitRule("seats", 10, "many seats", at_least=100),
            {"seats": "150"},
            None,
            1,
        ),
    ],
)
def test_fit_rules_match_lead_then_account_then_attributes(
    rule: FitRule, the_lead: dict[str, str], account: Account | None, matches: int
) -> None:
    result = score_lead(lead(attributes=the_lead), [], one_rule(rule), at=AT, account=account)
    assert result.fit == 10.0 * matches


def test_lead_fields_come_before_custom_attributes() -> None:
    rule = FitRule("source", 10, "partner lead", equals=("partner",))
    the_lead = lead(source="Website", attributes={"source": "Partner"})
    assert score_lead(the_lead, [], one_rule(rule), at=AT).fit == 0.0
    assert score_lead(lead(attributes={"source": "Partner"}), [], one_rule(rule), at=AT).fit == 10


@pytest.mark.parametrize(
    ("signals", "intent_reason"),
    [
        ([], "Intent 0/50: no recent buying signals"),
        ([seen("email_click", -5)], "Intent 9/50: email click (just now)"),
        ([seen("email_click", 0.5)], "Intent 9/50: email click (30 min ago)"),
        ([seen("email_click", 5)], "Intent 9/50: email click (5 h ago)"),
        ([seen("email_click", 72)], "Intent 7/50: email click (3 days ago)"),
        (
            [
                seen("page_view", 2, "/pricing"),
                seen("page_view", 26, "/pricing"),
                seen("page_view", 72, "/blog/post"),
                seen("email_open", 80),
                seen("page_view", 1, "/careers"),
            ],
            "Intent 40/50: pricing page 2x (last 2 h ago), page view (60 min ago), "
            "blog view (3 days ago), came back within a week",
        ),
    ],
)
def test_intent_reason_names_the_strongest_signals(
    signals: list[Signal], intent_reason: str
) -> None:
    assert score_lead(lead(), signals, POLICY, at=AT).reasons[-1] == intent_reason


@pytest.mark.parametrize(
    ("the_lead", "fit_reason"),
    [
        (lead(), "Fit 0/50: no match with the ideal customer profile"),
        (
            lead(source="Referral", attributes={"Industry": "SaaS"}),
            "Fit 25/50: software company, inbound lead",
        ),
    ],
)
def test_fit_reason_lists_the_matching_labels(the_lead: Lead, fit_reason: str) -> None:
    assert score_lead(the_lead, [], POLICY, at=AT).reasons[0] == fit_reason


def test_describe_is_one_line_with_score_tier_and_breakdown() -> None:
    signals = [seen("page_view", 2, "/pricing"), seen("page_view", 72, "/pricing")]
    result = score_lead(lead(source="Website", attributes=GOOD_FIT), signals, POLICY, at=AT)
    assert result.describe() == (
        "Score 86 (hot): fit 50/50: software company, 50-5,000 employees, decision-maker title, "
        "inbound lead; intent 36/50: pricing page 2x (last 2 h ago), came back within a week"
    )
    assert LeadScore(12, Tier.HOT, 0, 12, ("Asked for a demo",), True).describe() == (
        "Score 12 (hot): asked for a demo"
    )


PRIVATE = ("sam.doe@acme.com", "+1 415 555 0199", "call me after 5")


@pytest.mark.parametrize(
    ("the_lead", "signals", "learned_fit"),
    [
        (
            lead(
                email=PRIVATE[0],
                phone=PRIVATE[1],
                source="Demo request",
                attributes={"notes": PRIVATE[2], "email": PRIVATE[0], **GOOD_FIT},
            ),
            [
                seen("page_view", 1, f"/pricing?email={PRIVATE[0]}"),
                seen("form_submit", 2, f"{PRIVATE[2]}, {PRIVATE[1]}"),
                seen(PRIVATE[0], 3),
                seen(PRIVATE[2], 4),
            ],
            None,
        ),
        (lead(email=PRIVATE[0], phone=PRIVATE[1]), [seen("email_open", 1, PRIVATE[0])], 0.4),
    ],
)
def test_reasons_never_contain_contact_details_or_free_text(
    the_lead: Lead, signals: list[Signal], learned_fit: float | None
) -> None:
    policy = ScoringPolicy(
        fit_rules=(*POLICY.fit_rules, FitRule("notes", 5, "left a note", contains=("call",))),
    )
    result = score_lead(the_lead, signals, policy, at=AT, learned_fit=learned_fit)
    text = " ".join([*result.reasons, result.describe()]).lower()
    assert result.intent > 0
    for private in (*PRIVATE, "sam.doe", "acme.com", "555", "after 5"):
        assert private.lower() not in text


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"warm_at": 70.0}, "warm_at .* must be below hot_at"),
        ({"warm_at": 80.0}, "warm_at .* must be below hot_at"),
        ({"hot_at": 120.0}, "within 0-100"),
        ({"warm_at": -1.0}, "within 0-100"),
        ({"fit_points": 0.0}, "fit_points must be above 0"),
        ({"intent_points": -5.0}, "intent_points must be above 0"),
        ({"half_life_days": 0.0}, "half_life_days must be above 0"),
        ({"half_life_days": math.nan}, "half_life_days must be above 0"),
        ({"intent_scale": math.inf}, "intent_scale must be above 0"),
        ({"fit_points": "50"}, "fit_points must be above 0"),
        ({"hot_at": None}, "must be below hot_at"),
        ({"signal_weights": {"pricing_page": "high"}}, "weight of 'pricing_page'"),
        ({"signal_weights": {"pricing_page": math.inf}}, "weight of 'pricing_page'"),
        ({"signal_weights": {"Pricing Page": 1.0, "pricing-page": 2.0}}, "listed twice"),
        ({"fit_rules": ("industry",)}, "FitRule"),
    ],
)
def test_policy_rejects_values_that_make_no_sense(
    settings: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        ScoringPolicy(**settings)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"field": "industry"}, "needs equals, contains, at_least or at_most"),
        ({"field": " ", "equals": ("x",)}, "needs a field"),
        ({"field": "employees", "at_least": 500, "at_most": 50}, "must not be above at_most"),
        ({"field": "employees", "at_least": "fifty"}, "must be numbers"),
        ({"field": "industry", "points": math.nan, "equals": ("x",)}, "points must be a number"),
    ],
)
def test_fit_rule_rejects_rules_that_cannot_work(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FitRule(**{"points": 10.0, "label": "a rule", **settings})  # type: ignore[arg-type]


def test_policy_normalises_kinds_and_keeps_its_weights_read_only() -> None:
    weights = {"Pricing Page": 3.0}
    policy = ScoringPolicy(signal_weights=weights, demo_request_kinds=frozenset({"Demo-Form"}))
    weights["pricing_page"] = 99.0
    assert dict(policy.signal_weights) == {"pricing_page": 3.0}
    assert policy.demo_request_kinds == frozenset({"demo_form"})
    with pytest.raises(TypeError):
        policy.signal_weights["pricing_page"] = 1.0  # type: ignore[index]
    assert FitRule("industry", 1, "sw", equals="software").equals == ("software",)  # type: ignore[arg-type]
