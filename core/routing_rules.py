"""Routing rules as values, and the facts they weigh: the lead's profile, each rep's load.

A rule looks at a lead through its profile (territory, segment, industry, size, source): facts
taken from the lead's own attributes first and from its account otherwise, folded to lower case so
"EMEA", "emea" and " Emea " are one territory. A rep can take a lead when present, in working
hours and under every cap. `core.routing` applies the rules in order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum

from core.model import Account, Lead, Rep
from core.schedule import is_out_of_office, rep_zone, within_working_hours

SEGMENTS = ("smb", "mid-market", "enterprise")
QUEUE_RULE = "queue"  # the rule a routing names when no rule gave the lead an owner

TERRITORY_KEYS = ("territory", "region", "country")
# "1,200", "1.200", "10k", "200-500" (the lower bound), "5000+": the first number in the text.
_HEADCOUNT = re.compile(r"(\d{1,3}(?:[,.]\d{3})+|\d+)(?:\.(\d+))?\s*(k\b)?", re.IGNORECASE)


class RuleKind(StrEnum):
    ACCOUNT_OWNER = "account_owner"
    ASSIGN = "assign"
    FALLBACK = "fallback"


@dataclass(frozen=True, slots=True)
class Match:
    """Conditions on the lead; all given ones must hold, empty ones hold always.

    A condition on a fact the lead does not have (no territory, no employee count) does not hold:
    a rule for EMEA takes leads known to be in EMEA.
    """

    territories: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    min_employees: int | None = None
    max_employees: int | None = None
    sources: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RoutingRule:
    name: str
    kind: RuleKind
    match: Match = Match()
    # Rep emails; empty for ASSIGN: every active rep whose own territories and segments fit.
    reps: tuple[str, ...] = ()
    # Rep email -> weight (1.0 when absent): a rep with weight 2 gets about twice the leads.
    weights: Mapping[str, float] = field(default_factory=dict)
    owner: str | None = None  # FALLBACK: the fallback owner's email


@dataclass(frozen=True, slots=True)
class Capacity:
    per_day: int | None = None
    per_week: int | None = None


@dataclass(frozen=True, slots=True)
class SegmentBands:
    mid_market_from: int = 200
    enterprise_from: int = 1000


DEFAULT_RULES = (
    RoutingRule("account owner", RuleKind.ACCOUNT_OWNER),
    RoutingRule("round-robin", RuleKind.ASSIGN),
)


@dataclass(frozen=True, slots=True)
class RoutingPolicy:
    """The ordered rules and the limits around them; an inconsistent policy is a ValueError."""

    rules: tuple[RoutingRule, ...] = DEFAULT_RULES
    # Tier -> cap, on top of every rep's own daily and weekly capacity (all tiers together).
    tier_caps: Mapping[str, Capacity] = field(default_factory=dict)
    fairness_days: int = 7  # the window "recent assignments" count over
    queue: str = "unassigned"
    skip_outside_hours: bool = True  # also skips non-working days and holidays
    segments: SegmentBands = SegmentBands()

    def __post_init__(self) -> None:
        problems = [*_rule_problems(self.rules), *_setting_problems(self)]
        if problems:
            raise ValueError("Routing policy: " + "; ".join(problems) + ".")


@dataclass(frozen=True, slots=True)
class LeadProfile:
    """The facts rules test, folded to lower case; None or empty when the lead does not say."""

    territories: tuple[str, ...] = ()
    industry: str | None = None
    employees: int | None = None
    segment: str | None = None
    source: str | None = None
    domain: str | None = None


def lead_profile(
    lead: Lead, account: Account | None, bands: SegmentBands = SegmentBands()
) -> LeadProfile:
    """The facts rules look at: the lead's own attributes first, then its account's."""
    attributes = {key.strip().casefold(): value for key, value in lead.attributes.items()}
    known = account or Account(name="")
    employees = parse_headcount(attributes.get("employees"))
    employees = known.employees if employees is None else employees
    territories = _distinct(attributes.get(key) for key in TERRITORY_KEYS)
    return LeadProfile(
        territories=territories or _distinct([known.region]),
        industry=_folded(attributes.get("industry")) or _folded(known.industry),
        employees=employees,
        segment=segment_for(employees, bands),
        source=_folded(lead.source),
        domain=_folded(lead.domain) or _folded(known.domain),
    )


def parse_headcount(text: str | None) -> int | None:
    """An employee count from lenient text: "250", "1,200", "10k", "200-500" (200); else None."""
    found = _HEADCOUNT.search(text or "")
    if found is None:
        return None
    whole, fraction, thousands = found.groups()
    number = float(re.sub(r"[,.]", "", whole) + ("." + fraction if fraction else ""))
    return int(number * 1000) if thousands else int(number)


def segment_for(employees: int | None, bands: SegmentBands = SegmentBands()) -> str | None:
    """The segment by headcount (smb, mid-market, enterprise); None when the size is unknown."""
    if employees is None:
        return None
    if employees >= bands.enterprise_from:
        return "enterprise"
    return "mid-market" if employees >= bands.mid_market_from else "smb"


def match_failure(match: Match, profile: LeadProfile, tier: str) -> str | None:
    """None when every condition holds, else the first that fails, in the rule's own words."""
    facts = (
        ("territory", match.territories, profile.territories),
        ("segment", match.segments, _distinct([profile.segment])),
        ("industry", match.industries, _distinct([profile.industry])),
        ("source", match.sources, _distinct([profile.source])),
        ("tier", match.tiers, _distinct([tier])),
    )
    for fact, wanted, known in facts:
        if wanted and not set(_distinct(wanted)) & set(known):
            return f"{fact} not {either(wanted)}"
    return _size_failure(match, profile.employees)


def rep_fitter(profile: LeadProfile) -> Callable[[Rep], bool]:
    """Whether a rep's own territories and segments take this lead (folded once, asked of many).

    A rep with no territories fits every territory (likewise segments), and a lead whose
    territory or segment is unknown fits every rep: nothing says it belongs to someone else.
    """
    segments = _distinct([profile.segment])

    def fits(rep: Rep) -> bool:
        if not rep.territories and not rep.segments:  # most teams: everyone takes everything
            return True
        territory_fits = _overlap_or_open(rep.territories, profile.territories)
        return territory_fits and _overlap_or_open(rep.segments, segments)

    return fits


def either(values: Iterable[str]) -> str:
    """Values joined for a sentence: "EMEA", "EMEA or APAC", "EMEA, APAC or LATAM"."""
    names = [value.strip() for value in values]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


@dataclass(frozen=True, slots=True)
class RepLoad:
    """What a rep already has, counted by storage from the assignment history."""

    today: int = 0  # assignments since the rep's local midnight
    this_week: int = 0  # since the rep's local Monday 00:00
    recent: int = 0  # within the policy's fairness window
    tier_today: Mapping[str, int] = field(default_factory=dict)
    tier_week: Mapping[str, int] = field(default_factory=dict)
    last_assigned_at: datetime | None = None


def unavailable_because(
    rep: Rep,
    load: RepLoad,
    tier: str,
    policy: RoutingPolicy,
    at: datetime,
) -> str | None:
    """None when the rep can take a lead of this tier now, else the reason in words."""
    return availability(tier, policy, at)(rep, load)


def availability(
    tier: str, policy: RoutingPolicy, at: datetime
) -> Callable[[Rep, RepLoad], str | None]:
    """`unavailable_because` for one lead at one moment, worked out once and asked of many reps.

    Routing asks it of every rep in a pool for every lead, so the tier's cap is looked up once
    and each time zone's wall clock (date, weekday, time) is worked out once.
    """
    if at.tzinfo is None:
        raise ValueError("`at` must be an aware datetime (UTC)")
    folded = _folded(tier) or ""
    cap = next((cap for name, cap in policy.tier_caps.items() if _folded(name) == folded), None)
    walls: dict[str, tuple[date, int, time]] = {}

    def wall(zone: str) -> tuple[date, int, time]:
        found = walls.get(zone)
        if found is None:
            local = at.astimezone(rep_zone(zone))
            found = walls[zone] = (local.date(), local.weekday(), local.time())
        return found

    def why(rep: Rep, load: RepLoad) -> str | None:
        if not rep.active:
            return "inactive"
        if is_out_of_office(rep, at):
            return "out of office"
        if policy.skip_outside_hours:
            day, weekday, clock = wall(rep.time_zone)
            if day in rep.holidays:
                return "on holiday"
            working_day = weekday in rep.working_days
            if not working_day or not within_working_hours(clock, rep.work_start, rep.work_end):
                return "outside working hours"
        if rep.daily_capacity is not None and load.today >= rep.daily_capacity:
            return f"at daily capacity ({rep.daily_capacity})"
        if rep.weekly_capacity is not None and load.this_week >= rep.weekly_capacity:
            return f"at weekly capacity ({rep.weekly_capacity})"
        if cap is None:  # the common case
            return None
        if cap.per_day is not None and _tier_count(load.tier_today, folded) >= cap.per_day:
            return f"at daily {folded} capacity ({cap.per_day})"
        if cap.per_week is not None and _tier_count(load.tier_week, folded) >= cap.per_week:
            return f"at weekly {folded} capacity ({cap.per_week})"
        return None

    return why


def _tier_count(counts: Mapping[str, int], tier: str) -> int:
    return sum(count for name, count in counts.items() if _folded(name) == tier)


def _size_failure(match: Match, employees: int | None) -> str | None:
    if match.min_employees is None and match.max_employees is None:
        return None
    if employees is None:
        return "employee count unknown"
    if match.min_employees is not None and employees < match.min_employees:
        return f"{employees} employees, fewer than {match.min_employees}"
    if match.max_employees is not None and employees > match.max_employees:
        return f"{employees} employees, more than {match.max_employees}"
    return None


def _overlap_or_open(own: tuple[str, ...], known: tuple[str, ...]) -> bool:
    return not own or not known or bool(set(_distinct(own)) & set(known))


def _folded(text: str | None) -> str | None:
    return (text.strip().casefold() or None) if text else None


def _distinct(texts: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(folded for text in texts if (folded := _folded(text))))


def _rule_problems(rules: tuple[RoutingRule, ...]) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for rule in rules:
        name = rule.name.strip().casefold()
        if not name:
            problems.append("every rule needs a name")
        elif name == QUEUE_RULE:
            problems.append(
                "a rule is named 'queue', the name of leads no rule placed: give it another"
            )
        elif name in seen:
            problems.append(f"two rules are named '{rule.name}' (rule names must be unique)")
        seen.add(name)
        problems.extend(_one_rule_problems(rule))
    return problems


def _one_rule_problems(rule: RoutingRule) -> list[str]:
    problems: list[str] = []
    if rule.kind not in set(RuleKind):
        problems.append(f"rule '{rule.name}' has kind '{rule.kind}' (use {either(RuleKind)})")
    if rule.kind == RuleKind.FALLBACK and not (rule.owner or "").strip():
        problems.append(f"fallback rule '{rule.name}' needs an owner (a rep's email)")
    for email, weight in rule.weights.items():
        if not isinstance(weight, int | float) or not math.isfinite(weight) or weight <= 0:
            problems.append(
                f"rule '{rule.name}' gives {email} weight {weight} (weights must be above 0)"
            )
    unknown = [segment for segment in rule.match.segments if _folded(segment) not in SEGMENTS]
    if unknown:
        problems.append(
            f"rule '{rule.name}' names segment {either(unknown)} (use {either(SEGMENTS)})"
        )
    low, high = rule.match.min_employees, rule.match.max_employees
    if low is not None and high is not None and low > high:
        problems.append(f"rule '{rule.name}' wants at least {low} and at most {high} employees")
    return problems


def _setting_problems(policy: RoutingPolicy) -> list[str]:
    problems = [
        f"the {period} cap for {tier} leads is {cap} (caps must be 0 or more)"
        for tier, capacity in policy.tier_caps.items()
        for period, cap in (("daily", capacity.per_day), ("weekly", capacity.per_week))
        if cap is not None and cap < 0
    ]
    if policy.fairness_days < 1:
        problems.append(f"fairness_days is {policy.fairness_days} (it must be 1 or more)")
    if not policy.queue.strip():
        problems.append("the queue needs a name")
    bands = policy.segments
    if not 0 < bands.mid_market_from <= bands.enterprise_from:
        problems.append(
            f"segment bands {bands.mid_market_from} (mid-market) and {bands.enterprise_from}"
            " (enterprise) must be above 0 and in that order"
        )
    return problems
