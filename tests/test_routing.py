"""Who gets a new lead: rules in order, availability, fairness over time, and the reason in words."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta

import pytest

from core.model import Account, Lead, Rep
from core.routing import (
    Capacity,
    Match,
    RepLoad,
    Routing,
    RoutingPolicy,
    RoutingRule,
    RuleKind,
    SegmentBands,
    eligible_reps,
    lead_profile,
    route_lead,
    unavailable_because,
)

MONDAY_2PM = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 23:00 in Tokyo, 09:00 in New York

ALICE = Rep("alice@team.example", "Alice Archer", id=1)
BEN = Rep("ben@team.example", "Ben Brook", id=2)
CARA = Rep("cara@team.example", "Cara Cole", id=3)
DAN = Rep("dan@team.example", "Dan Drake", id=4)
TEAM = (ALICE, BEN, CARA)

LEAD_EMAIL = "sarah.connor@acme.com"
LEAD_PHONE = "+1 555 0100 7788"
LEAD_NOTE = "please call about the Skynet migration"
LEAD = Lead(
    "Sarah Connor",
    MONDAY_2PM,
    id=99,
    email=LEAD_EMAIL,
    phone=LEAD_PHONE,
    domain="acme.com",
    source="web",
    attributes={"notes": LEAD_NOTE},
)
ACME = Account("Acme", id=7, domain="acme.com", owner_id=BEN.id)


def with_(rep: Rep, **fields: object) -> Rep:
    return dataclasses.replace(rep, **fields)  # type: ignore[arg-type]


def lead(**attributes: str) -> Lead:
    return dataclasses.replace(LEAD, attributes={**LEAD.attributes, **attributes})


def recent(**counts: int) -> dict[int, RepLoad]:
    """Loads by first name: recent(alice=2, ben=0)."""
    ids = {"alice": 1, "ben": 2, "cara": 3, "dan": 4}
    return {ids[name]: RepLoad(recent=count) for name, count in counts.items()}


def assign(name: str, *reps: Rep, **match: object) -> RoutingRule:
    return RoutingRule(name, RuleKind.ASSIGN, Match(**match), tuple(rep.email for rep in reps))  # type: ignore[arg-type]


def policy(*rules: RoutingRule) -> RoutingPolicy:
    """The account owner first, then `rules`, then round-robin among everyone who fits."""
    owner = RoutingRule("account owner", RuleKind.ACCOUNT_OWNER)
    return RoutingPolicy(rules=(owner, *rules, RoutingRule("round-robin", RuleKind.ASSIGN)))


@dataclasses.dataclass(frozen=True)
class Case:
    lead: Lead = LEAD
    account: Account | None = None
    reps: tuple[Rep, ...] = TEAM
    loads: Mapping[int, RepLoad] = dataclasses.field(default_factory=dict)
    policy: RoutingPolicy = RoutingPolicy()
    tier: str = "hot"
    exclude: frozenset[int] = frozenset()
    at: datetime = MONDAY_2PM

    def route(self) -> Routing:
        return route_lead(
            self.lead,
            tier=self.tier,
            account=self.account,
            reps=self.reps,
            loads=self.loads,
            policy=self.policy,
            at=self.at,
            exclude=self.exclude,
        )

    def eligible(self) -> list[Rep]:
        return eligible_reps(
            self.lead,
            tier=self.tier,
            account=self.account,
            reps=self.reps,
            loads=self.loads,
            policy=self.policy,
            at=self.at,
            exclude=self.exclude,
        )


OOO = MONDAY_2PM + timedelta(days=3)
EMEA = policy(assign("EMEA", ALICE, BEN, territories=("EMEA",)))
ENTERPRISE = policy(assign("enterprise", DAN, segments=("enterprise",)))
EMEA_ONLY = RoutingPolicy(rules=(assign("EMEA", ALICE, BEN, territories=("EMEA",)),))
BY_SEGMENT = RoutingPolicy(rules=(RoutingRule("by segment", RuleKind.ASSIGN),))
HEALTHCARE = policy(assign("healthcare", DAN, industries=("Healthcare",)))
HOT = policy(assign("hot desk", DAN, tiers=("hot",)))
FALLBACK_LAST = RoutingPolicy(
    rules=(
        RoutingRule("round-robin", RuleKind.ASSIGN),
        RoutingRule("fallback", RuleKind.FALLBACK, owner="DAN@team.example"),
    )
)
HOT_WEEK_CAP = RoutingPolicy(tier_caps={"HOT": Capacity(per_week=5)})
FULL = RepLoad(today=20)
ALL_FULL = {1: FULL, 2: FULL, 3: FULL, 4: FULL}
EVEN = {1: RepLoad(recent=1), 2: RepLoad(recent=1), 3: RepLoad(recent=1), 4: RepLoad(recent=1)}
FIVE_HOT_THIS_WEEK = {1: RepLoad(tier_week={"hot": 5}), 2: RepLoad(recent=4)}
TOKYO = with_(DAN, time_zone="Asia/Tokyo")
SEGMENTED = (with_(ALICE, segments=("smb", "mid-market")), with_(DAN, segments=("Enterprise",)))

ROUTES = [
    # (case, owner id, rule, reason)
    pytest.param(
        Case(account=ACME, loads=recent(alice=0, ben=9)),
        2, "account owner", "Ben: owns acme.com",
        id="account owner wins over a fairer rep",
    ),
    pytest.param(
        Case(account=dataclasses.replace(ACME, domain=None), loads=recent(ben=9)),
        2, "account owner", "Ben: owns Acme",
        id="account without a domain is named",
    ),
    pytest.param(
        Case(account=ACME, reps=(ALICE, with_(BEN, out_of_office_until=OOO), CARA), loads=recent(alice=3, cara=1)),
        3, "round-robin", "Cara: round-robin, 1 lead in 7 days, fewest of 2",
        id="account owner out of office: round-robin",
    ),
    pytest.param(
        Case(account=ACME, reps=(ALICE, with_(BEN, work_start=time(20, 0)), CARA), loads=recent(alice=0)),
        2, "account owner", "Ben: owns acme.com",
        id="account owner outside hours still owns",
    ),
    pytest.param(
        Case(account=ACME, reps=(ALICE, with_(BEN, active=False)), loads=recent(alice=4)),
        1, "round-robin", "Alice: round-robin, 4 leads in 7 days, the only one available",
        id="inactive account owner: round-robin",
    ),
    pytest.param(
        Case(lead=lead(Region="emea"), policy=EMEA, loads=recent(alice=2, ben=1, cara=0)),
        2, "EMEA", "Ben: round-robin (EMEA), 1 lead in 7 days, fewest of 2",
        id="territory rule: EMEA lead to the EMEA pool",
    ),
    pytest.param(
        Case(lead=lead(country="DE", region="EMEA"), policy=EMEA, loads=recent(alice=0, ben=1, cara=0)),
        1, "EMEA", "Alice: round-robin (EMEA), 0 leads in 7 days, fewest of 2",
        id="territory rule: region beside a country",
    ),
    pytest.param(
        Case(lead=lead(region="APAC"), policy=EMEA, loads=recent(alice=1, ben=1, cara=0)),
        3, "round-robin", "Cara: round-robin, 0 leads in 7 days, fewest of 3",
        id="territory rule: APAC lead skips the EMEA pool",
    ),
    pytest.param(
        Case(account=Account("Acme", region="EMEA"), policy=EMEA, loads=recent(alice=2, ben=3, cara=0)),
        1, "EMEA", "Alice: round-robin (EMEA), 2 leads in 7 days, fewest of 2",
        id="territory rule: territory from the account",
    ),
    pytest.param(
        Case(lead=lead(region="APAC"), reps=(with_(ALICE, territories=("EMEA",)), BEN), loads=recent(ben=5)),
        2, "round-robin", "Ben: round-robin, 5 leads in 7 days, the only one available",
        id="round-robin pool: only reps whose territories fit",
    ),
    pytest.param(
        Case(reps=(with_(ALICE, territories=("EMEA",)), with_(BEN, territories=("NA",))), loads=recent(alice=2, ben=1)),
        2, "round-robin", "Ben: round-robin, 1 lead in 7 days, fewest of 2",
        id="round-robin pool: a lead of unknown territory fits every rep",
    ),
    pytest.param(
        Case(lead=lead(employees="1,500"), reps=(*TEAM, DAN), policy=ENTERPRISE, loads=recent(dan=6)),
        4, "enterprise", "Dan: round-robin (enterprise), 6 leads in 7 days, the only one available",
        id="segment rule: 1,500 employees is enterprise",
    ),
    pytest.param(
        Case(lead=lead(employees="200-500"), reps=(*TEAM, DAN), policy=ENTERPRISE, loads=EVEN),
        1, "round-robin", "Alice: round-robin, 1 lead in 7 days, fewest of 4",
        id="segment rule: 200-500 employees is mid-market",
    ),
    pytest.param(
        Case(reps=(*TEAM, DAN), account=Account("Acme", employees=5000), policy=ENTERPRISE, loads=recent(dan=1)),
        4, "enterprise", "Dan: round-robin (enterprise), 1 lead in 7 days, the only one available",
        id="segment rule: size from the account",
    ),
    pytest.param(
        Case(lead=lead(employees="5000+"), reps=SEGMENTED, policy=BY_SEGMENT, loads=recent(alice=0, dan=8)),
        4, "by segment", "Dan: round-robin (by segment), 8 leads in 7 days, the only one available",
        id="pool by the reps' own segments: enterprise",
    ),
    pytest.param(
        Case(lead=lead(employees="40"), reps=SEGMENTED, policy=BY_SEGMENT, loads=recent(alice=8, dan=0)),
        1, "by segment", "Alice: round-robin (by segment), 8 leads in 7 days, the only one available",
        id="pool by the reps' own segments: smb",
    ),
    pytest.param(
        Case(lead=lead(Industry=" HEALTHCARE "), reps=(*TEAM, DAN), policy=HEALTHCARE),
        4, "healthcare", "Dan: round-robin (healthcare), 0 leads in 7 days, the only one available",
        id="industry rule",
    ),
    pytest.param(
        Case(lead=lead(industry="retail"), reps=(*TEAM, DAN), policy=HEALTHCARE, loads=recent(alice=1, ben=1)),
        3, "round-robin", "Cara: round-robin, 0 leads in 7 days, fewest of 4",
        id="industry rule does not take another industry",
    ),
    pytest.param(
        Case(reps=(*TEAM, DAN), policy=HOT, loads=recent(alice=0, dan=5)),
        4, "hot desk", "Dan: round-robin (hot desk), 5 leads in 7 days, the only one available",
        id="tier rule: hot to a named pool",
    ),
    pytest.param(
        Case(reps=(*TEAM, DAN), policy=HOT, tier="warm", loads=recent(alice=0, ben=1, cara=1, dan=0)),
        1, "round-robin", "Alice: round-robin, 0 leads in 7 days, fewest of 4",
        id="tier rule: warm goes on",
    ),
    pytest.param(
        Case(reps=(TOKYO, BEN), loads=recent(dan=0, ben=4)),
        2, "round-robin", "Ben: round-robin, 4 leads in 7 days, the only one available",
        id="skip a rep in Tokyo at 23:00",
    ),
    pytest.param(
        Case(reps=(TOKYO, BEN), loads=recent(dan=0, ben=4), policy=RoutingPolicy(skip_outside_hours=False)),
        4, "round-robin", "Dan: round-robin, 0 leads in 7 days, fewest of 2",
        id="hours ignored when the policy says so",
    ),
    pytest.param(
        Case(reps=(with_(ALICE, holidays=(date(2026, 11, 23),)), BEN), loads=recent(ben=4)),
        2, "round-robin", "Ben: round-robin, 4 leads in 7 days, the only one available",
        id="skip a rep on holiday",
    ),
    pytest.param(
        Case(reps=(with_(ALICE, out_of_office_until=OOO), BEN), loads=recent(ben=4)),
        2, "round-robin", "Ben: round-robin, 4 leads in 7 days, the only one available",
        id="skip a rep out of office",
    ),
    pytest.param(
        Case(reps=(ALICE, BEN), loads={1: FULL, 2: RepLoad(recent=4)}),
        2, "round-robin", "Ben: round-robin, 4 leads in 7 days, the only one available",
        id="skip a rep at daily capacity",
    ),
    pytest.param(
        Case(reps=(ALICE, BEN), loads=FIVE_HOT_THIS_WEEK, policy=HOT_WEEK_CAP),
        2, "round-robin", "Ben: round-robin, 4 leads in 7 days, the only one available",
        id="skip a rep at the weekly hot cap",
    ),
    pytest.param(
        Case(reps=(ALICE, BEN), loads=FIVE_HOT_THIS_WEEK, policy=HOT_WEEK_CAP, tier="warm"),
        1, "round-robin", "Alice: round-robin, 0 leads in 7 days, fewest of 2",
        id="the hot cap leaves warm leads alone",
    ),
    pytest.param(
        Case(reps=(ALICE, BEN, with_(DAN, work_start=time(20))), loads=ALL_FULL, policy=FALLBACK_LAST),
        4, "fallback", "Dan: fallback owner",
        id="fallback owner whatever their load or hours",
    ),
    pytest.param(
        Case(reps=(ALICE, with_(DAN, out_of_office_until=OOO)), loads={1: FULL}, policy=FALLBACK_LAST),
        4, "fallback", "Dan: fallback owner",
        id="fallback owner even out of office",
    ),
    pytest.param(
        Case(reps=(ALICE, with_(DAN, active=False)), loads={1: FULL}, policy=FALLBACK_LAST),
        None, "queue", "Queue 'unassigned': nobody available (1 at capacity, 1 inactive)",
        id="inactive fallback owner: queue",
    ),
    pytest.param(
        Case(reps=(ALICE, with_(BEN, out_of_office_until=OOO), TOKYO), loads={1: FULL}),
        None, "queue", "Queue 'unassigned': nobody available (1 at capacity, 1 out of office, 1 outside working hours)",
        id="queue when nobody is available",
    ),
    pytest.param(
        Case(reps=(), policy=RoutingPolicy(queue="inbound")),
        None, "queue", "Queue 'inbound': no rule gave an owner",
        id="queue when there is no team",
    ),
    pytest.param(
        Case(policy=RoutingPolicy(rules=(assign("EMEA", ALICE, territories=("EMEA",)),))),
        None, "queue", "Queue 'unassigned': no rule matched the lead",
        id="queue when no rule matches",
    ),
    pytest.param(
        Case(account=ACME, exclude=frozenset({2}), loads=recent(alice=3, ben=0, cara=2)),
        3, "round-robin", "Cara: round-robin, 2 leads in 7 days, fewest of 2",
        id="exclude the account owner",
    ),
    pytest.param(
        Case(exclude=frozenset({1}), loads=recent(alice=0, ben=2, cara=1)),
        3, "round-robin", "Cara: round-robin, 1 lead in 7 days, fewest of 2",
        id="exclude the fairest rep",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("case", "owner_id", "rule", "reason"), ROUTES)
def test_route_lead(case: Case, owner_id: int | None, rule: str, reason: str) -> None:
    routing = case.route()
    assert (routing.owner_id, routing.rule, routing.reason) == (owner_id, rule, reason)
    picks = [step for step in routing.steps if step.outcome.startswith("picked ")]
    if owner_id is None:
        assert not picks
    else:
        assert picks == [routing.steps[-1]]
        assert picks[0].rule == rule and picks[0].outcome.startswith(
            f"picked {reason.split(':')[0]}:"
        )


@pytest.mark.parametrize(("case", "owner_id", "rule", "reason"), ROUTES)
def test_reasons_and_steps_name_no_lead_contact_details(
    case: Case, owner_id: int | None, rule: str, reason: str
) -> None:
    routing = case.route()
    words = [routing.reason, *(step.outcome for step in routing.steps)]
    for text in words:
        for private in (LEAD_EMAIL, LEAD_PHONE, LEAD_NOTE, "Sarah", "Connor", "@"):
            assert private not in text, (private, text)


def test_steps_explain_every_rule_tried_in_order() -> None:
    reps = (with_(ALICE, out_of_office_until=OOO), with_(BEN, territories=("EMEA",)), CARA, TOKYO)
    case = Case(lead=lead(region="EMEA"), reps=reps, policy=EMEA, loads={2: FULL})
    assert [(step.rule, step.outcome) for step in case.route().steps] == [
        ("account owner", "no account owner: acme.com has no account"),
        ("EMEA", "Alice skipped: out of office"),
        ("EMEA", "Ben skipped: at daily capacity (20)"),
        ("EMEA", "nobody available among 2"),
        ("round-robin", "Alice skipped: out of office"),
        ("round-robin", "Ben skipped: at daily capacity (20)"),
        ("round-robin", "Dan skipped: outside working hours"),
        ("round-robin", "picked Cara: 0 leads in 7 days, the only one available"),
    ]


def test_steps_say_why_an_account_or_a_pool_did_not_decide() -> None:
    free_mail = dataclasses.replace(LEAD, domain="gmail.com")
    pool = RoutingRule("named", RuleKind.ASSIGN, reps=("Ben@Team.example", "gone@team.example"))
    ownerless = Account("Acme", domain="acme.com")
    cases = [
        (Case(lead=free_mail), "no account owner: the lead has no account"),
        (Case(account=ownerless), "no account owner: acme.com has no owner"),
        (
            Case(account=ACME, reps=(ALICE,)),
            "no account owner: the owner of acme.com is not on the team",
        ),
        (Case(account=ACME, exclude=frozenset({2})), "Ben skipped: excluded"),
    ]
    for case, first_outcome in cases:
        assert case.route().steps[0].outcome == first_outcome
    named = Case(policy=RoutingPolicy(rules=(pool,)), exclude=frozenset({2})).route()
    assert [step.outcome for step in named.steps] == [
        "1 listed rep not on the team",
        "Ben skipped: excluded",
        "nobody available among 1",
    ]
    assert named.reason == "Queue 'unassigned': nobody available (1 excluded)"


T = MONDAY_2PM
FAIRNESS = [
    # (loads of Alice and Ben, who is picked)
    pytest.param(RepLoad(recent=5, today=0), RepLoad(recent=2, today=2), "Ben", id="fewest in the window, not today"),
    pytest.param(RepLoad(recent=1, today=1), RepLoad(recent=3, today=0), "Alice", id="a new day resets nothing"),
    pytest.param(
        RepLoad(recent=2, last_assigned_at=T - timedelta(hours=1)),
        RepLoad(recent=2, last_assigned_at=T - timedelta(hours=3)),
        "Ben", id="tie: longest since the last lead",
    ),
    pytest.param(
        RepLoad(recent=2, last_assigned_at=T - timedelta(days=6)), RepLoad(recent=2), "Ben",
        id="tie: never assigned comes first",
    ),
    pytest.param(RepLoad(recent=2), RepLoad(recent=2), "Alice", id="tie: lowest id"),
    pytest.param(RepLoad(), RepLoad(), "Alice", id="nothing yet: lowest id"),
]  # fmt: skip


@pytest.mark.parametrize(("alice", "ben", "picked"), FAIRNESS)
def test_fairest_rep_is_picked(alice: RepLoad, ben: RepLoad, picked: str) -> None:
    case = Case(reps=(BEN, ALICE), loads={1: alice, 2: ben})
    routing = case.route()
    assert routing.reason.startswith(f"{picked}: round-robin, ")
    assert [rep.name.split()[0] for rep in case.eligible()][0] == picked


def test_weighted_reason_names_the_weight() -> None:
    rule = RoutingRule("round-robin", RuleKind.ASSIGN, weights={"ALICE@team.example": 2})
    case = Case(
        reps=(ALICE, BEN), loads=recent(alice=3, ben=1), policy=RoutingPolicy(rules=(rule,))
    )
    # Alice (3 + 1) / 2 ties Ben (1 + 1) / 1; neither was ever assigned, so the lower id wins.
    assert case.route().reason == "Alice: round-robin, 3 leads in 7 days at weight 2, fairest of 2"
    busier = dataclasses.replace(case, loads=recent(alice=4, ben=1))
    assert busier.route().reason == "Ben: round-robin, 1 lead in 7 days, fairest of 2"


@pytest.mark.parametrize(("weights", "share"), [({"alice@team.example": 2.0}, 2 / 3), ({}, 1 / 2)])
def test_weights_share_leads_over_time(weights: dict[str, float], share: float) -> None:
    rule = RoutingRule("round-robin", RuleKind.ASSIGN, weights=weights)
    roomy = {"daily_capacity": 1000, "weekly_capacity": 1000}
    reps = (with_(ALICE, **roomy), with_(BEN, **roomy))
    loads = {1: RepLoad(), 2: RepLoad()}
    taken: Counter[int | None] = Counter()
    at = MONDAY_2PM
    for _ in range(300):
        at += timedelta(seconds=20)
        owner = (
            Case(reps=reps, loads=loads, policy=RoutingPolicy(rules=(rule,)), at=at)
            .route()
            .owner_id
        )
        assert owner is not None
        taken[owner] += 1
        old = loads[owner]
        loads[owner] = RepLoad(today=old.today + 1, recent=old.recent + 1, last_assigned_at=at)
    assert abs(taken[1] / 300 - share) <= 0.05, taken


ELIGIBLE = [
    # (case, first names fairest first)
    pytest.param(
        Case(lead=lead(region="EMEA"), policy=EMEA, loads=recent(alice=3, ben=1, cara=0)),
        ["Ben", "Alice"], id="the matching pool, fairest first",
    ),
    pytest.param(
        Case(lead=lead(region="EMEA"), policy=EMEA, loads=recent(alice=3, ben=1), exclude=frozenset({2})),
        ["Alice"], id="without the excluded owner",
    ),
    pytest.param(
        Case(lead=lead(region="EMEA"), policy=EMEA, loads={1: FULL, 2: FULL, 3: RepLoad(recent=2)}),
        ["Cara"], id="an empty pool falls through to the next rule",
    ),
    pytest.param(
        Case(lead=lead(region="APAC"), policy=EMEA_ONLY, loads=recent(alice=3, ben=1, cara=0)),
        ["Cara", "Ben", "Alice"], id="no pool fits: any available active rep",
    ),
    pytest.param(
        Case(reps=(with_(ALICE, active=False), BEN, TOKYO, CARA), loads=recent(ben=2, cara=2)),
        ["Ben", "Cara"], id="never the inactive or the absent",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("case", "names"), ELIGIBLE)
def test_eligible_reps(case: Case, names: list[str]) -> None:
    assert [rep.name.split()[0] for rep in case.eligible()] == names


def test_eligible_first_choice_is_the_round_robin_pick() -> None:
    compared = 0
    for case, *_ in (param.values for param in ROUTES):
        assert isinstance(case, Case)
        routing = case.route()
        if routing.reason.split(": ", 1)[-1].startswith("round-robin"):
            assert case.eligible()[0].id == routing.owner_id, routing.reason
            compared += 1
    assert compared >= 15


TOKYO_HOLIDAY = with_(TOKYO, holidays=(date(2026, 11, 24),))
SATURDAY = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
HOT_CAPS = RoutingPolicy(tier_caps={"Hot": Capacity(per_day=2, per_week=0)})
TWO_HOT_A_DAY = RoutingPolicy(tier_caps={"Hot": Capacity(per_day=2)})
NEW_YORK = with_(ALICE, time_zone="America/New_York")
AVAILABILITY = [
    # (rep, load, tier, policy, at, reason or None)
    (ALICE, RepLoad(), "hot", RoutingPolicy(), T, None),
    (with_(ALICE, active=False), RepLoad(), "hot", RoutingPolicy(), T, "inactive"),
    (with_(ALICE, out_of_office_until=OOO), RepLoad(), "hot", RoutingPolicy(), T, "out of office"),
    (with_(ALICE, out_of_office_until=T), RepLoad(), "hot", RoutingPolicy(), T, None),
    (TOKYO, RepLoad(), "hot", RoutingPolicy(), T, "outside working hours"),
    (TOKYO, RepLoad(), "hot", RoutingPolicy(), T - timedelta(hours=10), None),
    (TOKYO, RepLoad(), "hot", RoutingPolicy(skip_outside_hours=False), T, None),
    (TOKYO_HOLIDAY, RepLoad(), "hot", RoutingPolicy(), T + timedelta(hours=2), "on holiday"),
    (NEW_YORK, RepLoad(), "hot", RoutingPolicy(), T, None),
    (NEW_YORK, RepLoad(), "hot", RoutingPolicy(), T - timedelta(hours=2), "outside working hours"),
    (ALICE, RepLoad(), "hot", RoutingPolicy(), SATURDAY, "outside working hours"),
    (with_(ALICE, working_days=(5,)), RepLoad(), "hot", RoutingPolicy(), SATURDAY, None),
    (ALICE, RepLoad(today=20), "warm", RoutingPolicy(), T, "at daily capacity (20)"),
    (ALICE, RepLoad(today=19, this_week=80), "warm", RoutingPolicy(), T, "at weekly capacity (80)"),
    (with_(ALICE, daily_capacity=5), RepLoad(today=5), "warm", RoutingPolicy(), T, "at daily capacity (5)"),
    (ALICE, RepLoad(tier_today={"hot": 2}), "HOT", TWO_HOT_A_DAY, T, "at daily hot capacity (2)"),
    (ALICE, RepLoad(tier_today={"hot": 1}), "hot", TWO_HOT_A_DAY, T, None),
    (ALICE, RepLoad(), "hot", HOT_CAPS, T, "at weekly hot capacity (0)"),
    (ALICE, RepLoad(tier_week={"hot": 9}), "warm", HOT_CAPS, T, None),
]  # fmt: skip


@pytest.mark.parametrize(("rep", "load", "tier", "routing_policy", "at", "reason"), AVAILABILITY)
def test_unavailable_because(
    rep: Rep,
    load: RepLoad,
    tier: str,
    routing_policy: RoutingPolicy,
    at: datetime,
    reason: str | None,
) -> None:
    assert unavailable_because(rep, load, tier, routing_policy, at) == reason


PROFILES = [
    # (lead attributes, account, (territories, industry, employees, segment))
    ({"employees": "199"}, None, ((), None, 199, "smb")),
    ({"employees": "200"}, None, ((), None, 200, "mid-market")),
    ({"employees": "999"}, None, ((), None, 999, "mid-market")),
    ({"employees": "1000"}, None, ((), None, 1000, "enterprise")),
    ({"Employees": "1,200"}, None, ((), None, 1200, "enterprise")),
    ({"employees": "200-500"}, None, ((), None, 200, "mid-market")),
    ({"employees": "10k"}, None, ((), None, 10000, "enterprise")),
    ({"employees": "about 40 people"}, None, ((), None, 40, "smb")),
    ({"employees": "n/a"}, Account("Acme", employees=800), ((), None, 800, "mid-market")),
    ({}, None, ((), None, None, None)),
    ({"Country": "DE", "Region": " EMEA "}, Account("Acme", region="NA"), (("emea", "de"), None, None, None)),
    ({}, Account("Acme", region="EMEA", industry="Retail"), (("emea",), "retail", None, None)),
    ({"industry": "Fintech"}, Account("Acme", industry="Retail"), ((), "fintech", None, None)),
]  # fmt: skip


@pytest.mark.parametrize(("attributes", "account", "expected"), PROFILES)
def test_lead_profile(attributes: dict[str, str], account: Account | None, expected: tuple) -> None:
    profile = lead_profile(dataclasses.replace(LEAD, attributes=attributes, domain=None), account)
    assert (profile.territories, profile.industry, profile.employees, profile.segment) == expected


def test_lead_profile_source_domain_and_bands() -> None:
    account = Account("Acme", domain="acme.com")
    assert lead_profile(dataclasses.replace(LEAD, domain=None), account).domain == "acme.com"
    assert lead_profile(dataclasses.replace(LEAD, domain="Acme.IO"), account).domain == "acme.io"
    assert lead_profile(LEAD, None).source == "web"
    bands = SegmentBands(mid_market_from=50, enterprise_from=500)
    assert lead_profile(lead(employees="300"), None, bands).segment == "mid-market"
    assert lead_profile(lead(employees="600"), None, bands).segment == "enterprise"
    case = Case(
        lead=lead(employees="600"),
        reps=(*TEAM, DAN),
        policy=dataclasses.replace(ENTERPRISE, segments=bands),
    )
    assert case.route().owner_id == DAN.id


INVALID = [
    # (policy settings, words the error must contain)
    ({"rules": (assign("EMEA"), assign("emea"))}, "two rules are named 'emea'"),
    ({"rules": (RoutingRule("last resort", RuleKind.FALLBACK),)}, "fallback rule 'last resort' needs an owner"),
    ({"rules": (RoutingRule("rr", RuleKind.ASSIGN, weights={"a@x.io": 0}),)}, "weights must be above 0"),
    ({"rules": (RoutingRule("rr", RuleKind.ASSIGN, weights={"a@x.io": -1.5}),)}, "gives a@x.io weight -1.5"),
    ({"rules": (RoutingRule("queue", RuleKind.ASSIGN),)}, "a rule is named 'queue'"),
    ({"rules": (RoutingRule("", RuleKind.ASSIGN),)}, "every rule needs a name"),
    ({"rules": (assign("big", segments=("huge",)),)}, "names segment huge (use smb, mid-market or enterprise)"),
    ({"rules": (assign("mid", min_employees=500, max_employees=100),)}, "at least 500 and at most 100"),
    ({"rules": (RoutingRule("odd", "round_robin"),)}, "has kind 'round_robin'"),  # type: ignore[arg-type]
    ({"tier_caps": {"hot": Capacity(per_day=-1)}}, "the daily cap for hot leads is -1 (caps must be 0 or more)"),
    ({"tier_caps": {"warm": Capacity(per_week=-2)}}, "the weekly cap for warm leads is -2"),
    ({"fairness_days": 0}, "fairness_days is 0"),
    ({"queue": " "}, "the queue needs a name"),
    ({"segments": SegmentBands(mid_market_from=2000)}, "segment bands 2000 (mid-market) and 1000"),
]  # fmt: skip


@pytest.mark.parametrize(("settings", "words"), INVALID)
def test_policy_validation(settings: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError, match="^Routing policy: ") as raised:
        RoutingPolicy(**settings)  # type: ignore[arg-type]
    assert words in str(raised.value)


def test_policy_validation_lists_every_problem_and_accepts_a_good_policy() -> None:
    with pytest.raises(ValueError) as raised:
        RoutingPolicy(fairness_days=0, queue="", tier_caps={"hot": Capacity(per_day=-1)})
    assert str(raised.value).count("; ") == 2
    assert RoutingPolicy().rules[0].kind is RuleKind.ACCOUNT_OWNER
    assert EMEA.rules[1].match.territories == ("EMEA",)
