"""Lead scoring: how well a lead fits the ideal customer plus how strongly it is showing intent.

Fit comes from rules over the lead's and its account's attributes, or from the learned lead model
once one is trained. Intent comes from behaviour signals: each decays with a half-life, a lead
that came back to high-intent pages on another day within a week gets a bonus, and the sum
saturates so intent never passes its cap. Reasons name rule labels and signal kinds only, never
the lead's email, phone or free text: they end up in chat and logs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from urllib.parse import urlsplit

from core.model import Account, Lead, Signal

COME_BACK_DAYS = 7.0
COME_BACK_MULTIPLIER = 1.5


class Tier(StrEnum):
    HOT = "hot"
    WARM = "warm"
    COLD = "cold"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True, slots=True)
class FitRule:
    """One attribute of the ideal customer and the points it is worth.

    A rule matches when every condition it sets holds; `equals` and `contains` match any of their
    values. Negative points mark a poor fit.
    """

    field: str
    points: float
    label: str
    equals: tuple[str, ...] = ()
    contains: tuple[str, ...] = ()
    at_least: float | None = None
    at_most: float | None = None

    def __post_init__(self) -> None:
        for name in ("equals", "contains"):
            values = getattr(self, name)
            object.__setattr__(self, name, (values,) if isinstance(values, str) else tuple(values))
        where = f"Fit rule {self.label!r}"
        if not self.field.strip():
            raise ValueError(f"{where} needs a field to look at")
        if not _is_number(self.points):
            raise ValueError(f"{where}: points must be a number, not {self.points}")
        if not (
            self.equals or self.contains or self.at_least is not None or self.at_most is not None
        ):
            raise ValueError(f"{where} needs equals, contains, at_least or at_most")
        low, high = self.at_least, self.at_most
        if any(bound is not None and not _is_number(bound) for bound in (low, high)):
            raise ValueError(f"{where}: at_least and at_most must be numbers")
        if low is not None and high is not None and low > high:
            raise ValueError(f"{where}: at_least ({low}) must not be above at_most ({high})")


DEFAULT_FIT_RULES: tuple[FitRule, ...] = (
    FitRule("industry", 15, "software company", contains=("software", "saas", "internet")),
    FitRule("employees", 15, "50-5,000 employees", at_least=50, at_most=5000),
    FitRule(
        "title", 10, "decision-maker title", contains=("head", "vp", "director", "chief", "founder")
    ),
    FitRule("source", 10, "inbound lead", contains=("website", "referral", "inbound", "demo")),
)
# fmt: off
DEFAULT_SIGNAL_WEIGHTS: Mapping[str, float] = MappingProxyType({
    "demo_request": 10.0, "trial_signup": 8.0, "pricing_page": 5.0, "demo_page": 4.0,
    "product_usage": 4.0, "webinar_attended": 3.0, "form_submit": 3.0, "email_click": 2.0,
    "docs_view": 1.5, "email_open": 0.5, "blog_view": 0.5, "page_view": 0.5,
})
# Coming back to these on another day within a week is the pattern of a buyer comparing options.
HIGH_INTENT_KINDS = frozenset({
    "pricing_page", "demo_page", "trial_signup", "product_usage", "webinar_attended", "email_click",
})
# fmt: on


@dataclass(frozen=True, slots=True)
class ScoringPolicy:
    """How a team scores leads. `intent_scale`: the raw intent that fills 63% of the cap."""

    fit_rules: tuple[FitRule, ...] = DEFAULT_FIT_RULES
    fit_points: float = 50.0
    intent_points: float = 50.0
    signal_weights: Mapping[str, float] = field(default_factory=lambda: DEFAULT_SIGNAL_WEIGHTS)
    half_life_days: float = 7.0
    hot_at: float = 70.0
    warm_at: float = 40.0
    demo_request_kinds: frozenset[str] = frozenset({"demo_request"})
    intent_scale: float = 10.0

    def __post_init__(self) -> None:
        for name in ("fit_points", "intent_points", "half_life_days", "intent_scale"):
            value = getattr(self, name)
            if not (_is_number(value) and value > 0):
                raise ValueError(f"Scoring policy: {name} must be above 0, not {value}")
        numbers = _is_number(self.warm_at) and _is_number(self.hot_at)
        if not (numbers and 0 <= self.warm_at < self.hot_at <= 100):
            raise ValueError(
                f"Scoring policy: warm_at ({self.warm_at}) must be below hot_at ({self.hot_at}),"
                " both within 0-100"
            )
        if not all(isinstance(rule, FitRule) for rule in self.fit_rules):
            raise ValueError("Scoring policy: fit_rules must all be FitRule values")
        object.__setattr__(self, "fit_rules", tuple(self.fit_rules))
        object.__setattr__(self, "signal_weights", _normalised_weights(self.signal_weights))
        kinds = frozenset(_normalise_kind(kind) for kind in self.demo_request_kinds)
        object.__setattr__(self, "demo_request_kinds", kinds)


def _normalised_weights(weights: Mapping[str, float]) -> Mapping[str, float]:
    normalised: dict[str, float] = {}
    for kind, weight in weights.items():
        key = _normalise_kind(kind)
        if key in normalised:
            raise ValueError(f"Scoring policy: signal kind {key!r} is listed twice")
        if not _is_number(weight):
            raise ValueError(f"Scoring policy: weight of {key!r} must be a number, not {weight}")
        normalised[key] = float(weight)
    return MappingProxyType(normalised)


@dataclass(frozen=True, slots=True)
class LeadScore:
    score: int
    tier: Tier
    fit: float
    intent: float
    reasons: tuple[str, ...]
    demo_requested: bool = False

    def describe(self) -> str:
        """One line for chat: `Score 86 (hot): fit 38/50: ...; intent 41/50: ...`."""
        parts = [reason[:1].lower() + reason[1:] for reason in self.reasons]
        return f"Score {self.score} ({self.tier}): " + "; ".join(parts)


# Path words that say what a page view was about; the first path segment with one decides, so
# `/blog/pricing-tips` is a blog view and `/en/pricing` a pricing page.
_PAGE_KINDS = (
    ("pricing_page", frozenset({"pricing", "plans", "price", "prices"})),
    ("demo_page", frozenset({"demo", "demos"})),
    ("docs_view", frozenset({"docs", "documentation", "developers", "help"})),
    ("blog_view", frozenset({"blog", "articles", "news"})),
)
_ALIASES = {"webinar": "webinar_attended", "pageview": "page_view"}


def _normalise_kind(kind: str) -> str:
    return re.sub(r"[\s-]+", "_", kind.strip().lower())


def classify_signal(kind: str, detail: str = "") -> str:
    """The scoring kind of a raw behaviour event."""
    normalised = _normalise_kind(kind)
    normalised = _ALIASES.get(normalised, normalised)
    if normalised != "page_view":
        return normalised
    for segment in _page_segments(detail):
        words = set(re.split(r"[-_.]+", segment))
        for page_kind, markers in _PAGE_KINDS:
            if words & markers:
                return page_kind
    return "page_view"


def _page_segments(detail: str) -> list[str]:
    text = detail.strip().lower()
    path = urlsplit(text).path if "://" in text else re.split(r"[?#]", text, maxsplit=1)[0]
    return path.split("/")


def signal_intent(signal: Signal, policy: ScoringPolicy, *, at: datetime) -> float:
    """One signal's decayed weight: policy weight x its multiplier, halved every half-life."""
    kind = classify_signal(signal.kind, signal.detail)
    base = policy.signal_weights.get(kind, 0.0) * signal.weight
    if not math.isfinite(base):
        return 0.0
    return base * 0.5 ** (_age_days(signal, at) / policy.half_life_days)


def _age_days(signal: Signal, at: datetime) -> float:
    return max(0.0, (at - signal.occurred_at).total_seconds() / 86400)


@dataclass(frozen=True, slots=True)
class _KindTally:
    kind: str
    count: int
    weight: float
    youngest_days: float


@dataclass(frozen=True, slots=True)
class _Intent:
    raw: float
    came_back: bool
    strongest: tuple[_KindTally, ...]


def _weigh(signals: Sequence[Signal], policy: ScoringPolicy, at: datetime) -> _Intent:
    tallies: dict[str, _KindTally] = {}
    days: set[date] = set()
    raw = 0.0
    for signal in signals:
        weight = signal_intent(signal, policy, at=at)
        raw += weight
        if weight <= 0:
            continue
        kind, age = classify_signal(signal.kind, signal.detail), _age_days(signal, at)
        if kind in HIGH_INTENT_KINDS and age <= COME_BACK_DAYS:
            days.add(min(signal.occurred_at, at).date())
        seen = tallies.get(kind, _KindTally(kind, 0, 0.0, age))
        tallies[kind] = _KindTally(
            kind, seen.count + 1, seen.weight + weight, min(seen.youngest_days, age)
        )
    came_back = len(days) >= 2
    strongest = sorted(tallies.values(), key=lambda t: (-t.weight, t.kind))[:3]
    return _Intent(raw * COME_BACK_MULTIPLIER if came_back else raw, came_back, tuple(strongest))


def raw_intent(signals: Sequence[Signal], policy: ScoringPolicy, *, at: datetime) -> float:
    """Intent before the cap: the decayed weights summed, raised when the lead came back."""
    return _weigh(signals, policy, at).raw


def _saturate(raw: float, policy: ScoringPolicy) -> float:
    # 1 - exp(-x) keeps growing with more signals but never reaches the cap.
    return policy.intent_points * (1 - math.exp(-max(0.0, raw) / policy.intent_scale))


def _intent_reason(intent: _Intent, points: float, policy: ScoringPolicy) -> str:
    head = f"Intent {round(points)}/{round(policy.intent_points)}: "
    if not intent.strongest:
        return head + "no recent buying signals"
    parts = [
        f"{t.kind.replace('_', ' ')}{f' {t.count}x' if t.count > 1 else ''}"
        f" ({'last ' if t.count > 1 else ''}{_ago(t.youngest_days)})"
        for t in intent.strongest
    ]
    if intent.came_back:
        parts.append("came back within a week")
    return head + ", ".join(parts)


def _ago(days: float) -> str:
    minutes = days * 1440
    if minutes < 1:
        return "just now"
    if minutes < 90:
        return f"{round(minutes)} min ago"
    hours = minutes / 60
    return f"{round(hours)} h ago" if hours < 36 else f"{round(hours / 24)} days ago"


_LEAD_FIELDS = frozenset({"company", "domain", "source"})
_ACCOUNT_FIELDS = frozenset({"industry", "employees", "region", "domain"})


def _field_value(name: str, lead: Lead, account: Account | None) -> object:
    """The lead's own fields first, then the account's, then custom attributes."""
    key = name.strip().lower()
    candidates = (
        getattr(lead, key) if key in _LEAD_FIELDS else None,
        getattr(account, key) if account is not None and key in _ACCOUNT_FIELDS else None,
        _attribute(lead.attributes, name),
        _attribute(account.attributes, name) if account is not None else None,
    )
    return next((value for value in candidates if value is not None and str(value).strip()), None)


def _attribute(attributes: Mapping[str, str], name: str) -> str | None:
    if name in attributes:
        return attributes[name]
    # Imported column names keep their spelling: a rule on "industry" should find "Industry".
    wanted = name.strip().casefold()
    return next((v for k, v in attributes.items() if k.strip().casefold() == wanted), None)


def rule_matches(rule: FitRule, lead: Lead, account: Account | None = None) -> bool:
    """True when the lead (or its account) has the attribute the rule describes."""
    value = _field_value(rule.field, lead, account)
    if value is None:
        return False
    text = str(value).strip().casefold()
    if rule.equals and text not in {v.strip().casefold() for v in rule.equals}:
        return False
    if rule.contains and not any(v.strip().casefold() in text for v in rule.contains):
        return False
    if rule.at_least is None and rule.at_most is None:
        return True
    number = _number(value)
    return (
        number is not None
        and (rule.at_least is None or number >= rule.at_least)
        and (rule.at_most is None or number <= rule.at_most)
    )


def _number(value: object) -> float | None:
    try:
        number = float(str(value).strip().replace(",", ""))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _fit(
    lead: Lead, account: Account | None, policy: ScoringPolicy, learned_fit: float | None
) -> tuple[float, str]:
    cap = policy.fit_points
    if learned_fit is not None:
        if not 0 <= learned_fit <= 1:
            raise ValueError(f"learned_fit must be a probability within 0-1, not {learned_fit}")
        fit = learned_fit * cap
        return (
            fit,
            f"Fit {round(fit)}/{round(cap)}: {round(learned_fit * 100)}% of similar leads converted",
        )
    matched = [rule for rule in policy.fit_rules if rule_matches(rule, lead, account)]
    fit = min(cap, max(0.0, sum(rule.points for rule in matched)))
    labels = ", ".join(rule.label for rule in matched) or "no match with the ideal customer profile"
    return fit, f"Fit {round(fit)}/{round(cap)}: {labels}"


def asked_for_demo(lead: Lead, signals: Sequence[Signal], policy: ScoringPolicy) -> bool:
    """True when the lead explicitly asked for a demo: by attribute, by source or by signal."""
    flag = str(lead.attributes.get("demo_request", "")).strip().lower()
    if flag in {"true", "yes", "1"} or "demo" in (lead.source or "").lower():
        return True
    return any(classify_signal(s.kind, s.detail) in policy.demo_request_kinds for s in signals)


def tier_for(score: float, policy: ScoringPolicy) -> Tier:
    """Hot at or above hot_at, warm at or above warm_at, cold below."""
    if score >= policy.hot_at:
        return Tier.HOT
    return Tier.WARM if score >= policy.warm_at else Tier.COLD


def score_lead(
    lead: Lead,
    signals: Sequence[Signal],
    policy: ScoringPolicy,
    *,
    at: datetime,
    account: Account | None = None,
    learned_fit: float | None = None,
) -> LeadScore:
    """Fit plus intent as a 0-100 score with its tier and the breakdown in words."""
    fit, fit_reason = _fit(lead, account, policy, learned_fit)
    weighed = _weigh(signals, policy, at)
    intent = _saturate(weighed.raw, policy)
    score = max(0, min(100, round(fit + intent)))
    demo = asked_for_demo(lead, signals, policy)
    if demo:  # a hot lead must not read as "score 12": the ask itself is worth the hot threshold
        score = max(score, math.ceil(policy.hot_at))
    reasons = (fit_reason, _intent_reason(weighed, intent, policy))
    return LeadScore(
        score=score,
        tier=Tier.HOT if demo else tier_for(score, policy),
        fit=fit,
        intent=intent,
        reasons=("Asked for a demo", *reasons) if demo else reasons,
        demo_requested=demo,
    )
