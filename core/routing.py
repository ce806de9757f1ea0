"""Who gets a new lead, and why, in words: ordered rules (`core.routing_rules`), first match wins.

Round-robin skips reps who are absent, off hours or at a cap, and picks the fewest assignments in
the fairness window for their weight, so it stays fair over time with no counter to reset. Pure
functions of their arguments (storage counts the loads), so `dealbot route --explain` has no side
effects. Reasons and steps name reps, the account, rules and counts; never the lead's contact
details or free text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from core.identity import company_domain
from core.model import Account, Lead, Rep, Role
from core.routing_rules import (
    QUEUE_RULE,
    Capacity,
    LeadProfile,
    Match,
    RepLoad,
    RoutingPolicy,
    RoutingRule,
    RuleKind,
    SegmentBands,
    availability,
    lead_profile,
    match_failure,
    rep_fitter,
    unavailable_because,
)
from core.schedule import is_out_of_office

_NEVER = datetime.min.replace(tzinfo=UTC)
_NO_LOAD = RepLoad()
"""The load of a rep with no assignments in any window (shared: RepLoad is frozen)."""

__all__ = [
    "Capacity",
    "LeadProfile",
    "Match",
    "RepLoad",
    "Routing",
    "RoutingPolicy",
    "RoutingRule",
    "RuleKind",
    "SegmentBands",
    "Step",
    "eligible_reps",
    "lead_profile",
    "route_lead",
    "unavailable_because",
]


@dataclass(frozen=True, slots=True)
class Step:
    rule: str
    outcome: str


@dataclass(frozen=True, slots=True)
class Routing:
    owner_id: int | None  # None: the lead waits in the queue
    rule: str  # the name of the rule that decided, "queue" when none did
    reason: str  # one line for the alert
    steps: tuple[Step, ...]  # every rule tried, in order, with why it did or did not decide


@dataclass(frozen=True, slots=True)
class _Context:
    """One routing question: the lead and the team as they are at `at`."""

    lead: Lead
    tier: str
    account: Account | None
    reps: tuple[Rep, ...]
    loads: Mapping[int, RepLoad]
    policy: RoutingPolicy
    at: datetime
    exclude: frozenset[int]
    profile: LeadProfile = field(init=False)
    why_unavailable: Callable[[Rep, RepLoad], str | None] = field(init=False)

    def __post_init__(self) -> None:
        # Reps without an id are not stored yet and cannot own a lead.
        object.__setattr__(self, "reps", tuple(rep for rep in self.reps if rep.id is not None))
        object.__setattr__(self, "tier", self.tier.strip().casefold())
        object.__setattr__(
            self, "profile", lead_profile(self.lead, self.account, self.policy.segments)
        )
        object.__setattr__(self, "why_unavailable", availability(self.tier, self.policy, self.at))

    def load(self, rep: Rep) -> RepLoad:
        return self.loads.get(rep.id, _NO_LOAD) if rep.id is not None else _NO_LOAD

    def rep_by_email(self, email: str | None) -> Rep | None:
        wanted = (email or "").strip().casefold()
        return next((rep for rep in self.reps if rep.email.strip().casefold() == wanted), None)


@dataclass(frozen=True, slots=True)
class _Decision:
    owner: Rep | None
    reason: str
    steps: tuple[Step, ...]
    skipped: Mapping[int, str] = field(default_factory=dict)


def route_lead(
    lead: Lead,
    *,
    tier: str,
    account: Account | None,
    reps: Sequence[Rep],
    loads: Mapping[int, RepLoad],
    policy: RoutingPolicy,
    at: datetime,
    exclude: frozenset[int] = frozenset(),
) -> Routing:
    """The first rule that gives an owner, with the reason; never raises for a lead it cannot place."""
    context = _Context(lead, tier, account, tuple(reps), loads, policy, at, exclude)
    steps: list[Step] = []
    skipped: dict[int, str] = {}
    matched = False
    for rule in policy.rules:
        failure = match_failure(rule.match, context.profile, context.tier)
        if failure is not None:
            steps.append(Step(rule.name, f"no match: {failure}"))
            continue
        matched = True
        decision = _DECIDERS[RuleKind(rule.kind)](rule, context)
        steps.extend(decision.steps)
        for rep_id, why in decision.skipped.items():
            skipped.setdefault(rep_id, why)
        if decision.owner is not None and decision.owner.id is not None:
            return Routing(decision.owner.id, rule.name, decision.reason, tuple(steps))
    reason = _queue_reason(policy.queue, skipped, matched)
    return Routing(None, QUEUE_RULE, reason, tuple(steps))


def eligible_reps(
    lead: Lead,
    *,
    tier: str,
    account: Account | None,
    reps: Sequence[Rep],
    loads: Mapping[int, RepLoad],
    policy: RoutingPolicy,
    at: datetime,
    exclude: frozenset[int] = frozenset(),
) -> list[Rep]:
    """Reps who could take this lead now, fairest first: the choices of the Reassign select.

    They come from the first round-robin rule that matches the lead and has someone available,
    so the first choice is whom that rule would pick; when no pool has anyone, any active rep
    who is available.
    """
    context = _Context(lead, tier, account, tuple(reps), loads, policy, at, exclude)
    for rule in policy.rules:
        if rule.kind != RuleKind.ASSIGN or match_failure(rule.match, context.profile, context.tier):
            continue
        available, _ = _split_available(_pool(rule, context)[0], context)
        if available:
            return _fairest_first(available, context.loads, rule.weights)
    everyone = [rep for rep in context.reps if rep.active]
    return _fairest_first(_split_available(everyone, context)[0], context.loads, {})


def _fairest_first(
    reps: Iterable[Rep], loads: Mapping[int, RepLoad], weights: Mapping[str, float]
) -> list[Rep]:
    """The reps by fewest recent leads for their weight, then longest wait, then lowest id.

    The share is (recent + 1) / weight: what a rep's share would be after taking this lead, so a
    weight-2 rep takes about two leads for every one of a weight-1 rep over the fairness window.
    A rep never assigned waits longest; the id makes the same question get the same answer.
    """
    return sorted(reps, key=_fairness(loads, weights))


def _fairest(
    reps: Iterable[Rep], loads: Mapping[int, RepLoad], weights: Mapping[str, float]
) -> Rep:
    """The first of `_fairest_first`, without sorting everyone."""
    return min(reps, key=_fairness(loads, weights))


def _fairness(
    loads: Mapping[int, RepLoad], weights: Mapping[str, float]
) -> Callable[[Rep], tuple[float, datetime, int]]:
    folded = {email.strip().casefold(): float(weight) for email, weight in weights.items()}

    def fairness(rep: Rep) -> tuple[float, datetime, int]:
        load = loads.get(rep.id or 0, _NO_LOAD)
        last = load.last_assigned_at or _NEVER
        last = last if last.tzinfo else last.replace(tzinfo=UTC)
        if not folded:  # whole numbers compare exactly
            return load.recent + 1, last, rep.id or 0
        weight = folded.get(rep.email.strip().casefold(), 1.0)
        return round((load.recent + 1) / weight, 9), last, rep.id or 0

    return fairness


def _account_owner(rule: RoutingRule, context: _Context) -> _Decision:
    account = context.account
    if account is None:
        company = company_domain(context.lead.domain) or "the lead"
        return _nobody(rule, f"no account owner: {company} has no account")
    label = account.domain or account.name
    if account.owner_id is None:
        return _nobody(rule, f"no account owner: {label} has no owner")
    owner = next((rep for rep in context.reps if rep.id == account.owner_id), None)
    if owner is None:
        return _nobody(rule, f"no account owner: the owner of {label} is not on the team")
    why = _owner_unavailable(owner, context, out_of_office_counts=True)
    if why is not None:
        return _skipped_owner(rule, owner, why)
    reason = f"{_first_name(owner)}: owns {label}"
    return _Decision(owner, reason, (Step(rule.name, f"picked {reason}"),))


def _assign(rule: RoutingRule, context: _Context) -> _Decision:
    pool, missing = _pool(rule, context)
    steps = [Step(rule.name, f"{_count(missing, 'listed rep')} not on the team")] if missing else []
    if not pool:
        return _Decision(None, "", (*steps, Step(rule.name, "no rep fits the lead")))
    available, skipped = _split_available(pool, context)
    by_id = {rep.id: rep for rep in pool}
    steps.extend(
        Step(rule.name, f"{_first_name(by_id[i])} skipped: {why}") for i, why in skipped.items()
    )
    if not available:
        outcome = f"nobody available among {len(pool)}"
        return _Decision(None, "", (*steps, Step(rule.name, outcome)), skipped)
    chosen = _fairest(available, context.loads, rule.weights)
    detail = _fairness_words(chosen, rule, context, len(available))
    label = rule.name if "round-robin" in rule.name.casefold() else f"round-robin ({rule.name})"
    steps.append(Step(rule.name, f"picked {_first_name(chosen)}: {detail}"))
    return _Decision(chosen, f"{_first_name(chosen)}: {label}, {detail}", tuple(steps), skipped)


def _fallback(rule: RoutingRule, context: _Context) -> _Decision:
    owner = context.rep_by_email(rule.owner)
    if owner is None:
        return _nobody(rule, "the fallback owner is not on the team")
    why = _owner_unavailable(owner, context, out_of_office_counts=False)
    if why is not None:
        return _skipped_owner(rule, owner, why)
    reason = f"{_first_name(owner)}: fallback owner"
    return _Decision(owner, reason, (Step(rule.name, f"picked {reason}"),))


_DECIDERS: Mapping[RuleKind, Callable[[RoutingRule, _Context], _Decision]] = {
    RuleKind.ACCOUNT_OWNER: _account_owner,
    RuleKind.ASSIGN: _assign,
    RuleKind.FALLBACK: _fallback,
}


def _first_name(rep: Rep) -> str:
    """How a reason names a rep: the first word of their name."""
    words = rep.name.split()
    return words[0] if words else f"rep {rep.id}"


def _nobody(rule: RoutingRule, outcome: str) -> _Decision:
    return _Decision(None, "", (Step(rule.name, outcome),))


def _skipped_owner(rule: RoutingRule, owner: Rep, why: str) -> _Decision:
    step = Step(rule.name, f"{_first_name(owner)} skipped: {why}")
    return _Decision(None, "", (step,), {owner.id: why} if owner.id is not None else {})


def _owner_unavailable(owner: Rep, context: _Context, *, out_of_office_counts: bool) -> str | None:
    """A named owner takes the lead whatever their hours and load; only absence stops them."""
    if owner.id in context.exclude:
        return "excluded"
    if not owner.active:
        return "inactive"
    if out_of_office_counts and is_out_of_office(owner, context.at):
        return "out of office"
    return None


def _pool(rule: RoutingRule, context: _Context) -> tuple[list[Rep], int]:
    """The rule's reps and how many of its listed emails match nobody on the team.

    Without a list, the pool is the sellers (role rep): managers and admins take leads only
    when a rule names them, as the account owner or as the fallback.
    """
    if not rule.reps:
        fits = rep_fitter(context.profile)
        pool = [rep for rep in context.reps if rep.active and rep.role is Role.REP and fits(rep)]
        return pool, 0
    listed = list(dict.fromkeys(email.strip().casefold() for email in rule.reps))
    found = [rep for email in listed if (rep := context.rep_by_email(email)) is not None]
    return list({rep.id: rep for rep in found}.values()), len(listed) - len(found)


def _split_available(pool: Sequence[Rep], context: _Context) -> tuple[list[Rep], dict[int, str]]:
    available: list[Rep] = []
    skipped: dict[int, str] = {}
    exclude, loads, why_unavailable = context.exclude, context.loads, context.why_unavailable
    for rep in pool:  # every rep of the pool for every lead: kept lean
        load = loads.get(rep.id or 0, _NO_LOAD)
        why = "excluded" if rep.id in exclude else why_unavailable(rep, load)
        if why is None:
            available.append(rep)
        elif rep.id is not None:
            skipped[rep.id] = why
    return available, skipped


def _fairness_words(chosen: Rep, rule: RoutingRule, context: _Context, among: int) -> str:
    days = _count(context.policy.fairness_days, "day")
    words = f"{_count(context.load(chosen).recent, 'lead')} in {days}"
    weights = {email.strip().casefold(): weight for email, weight in rule.weights.items()}
    weight = weights.get(chosen.email.strip().casefold(), 1.0)
    if weight != 1.0:
        words += f" at weight {weight:g}"
    if among == 1:
        return f"{words}, the only one available"
    return f"{words}, {'fairest' if weights else 'fewest'} of {among}"


def _queue_reason(queue: str, skipped: Mapping[int, str], matched: bool) -> str:
    if skipped:
        kinds = Counter("at capacity" if why.startswith("at ") else why for why in skipped.values())
        counts = ", ".join(f"{count} {why}" for why, count in kinds.items())
        return f"Queue '{queue}': nobody available ({counts})"
    return f"Queue '{queue}': {'no rule gave an owner' if matched else 'no rule matched the lead'}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
