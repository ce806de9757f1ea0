"""The lead desk configuration file (TOML, `DEALBOT_LEAD_DESK_CONFIG`) as a `DeskPolicy`.

`lead-desk.example.toml` at the repository root shows every key. Any problem is one
`LeadDeskConfigError` line naming the file and the key, e.g.
`lead desk config leads.toml: routing.rules[2].kind: must be one of account_owner, assign,
fallback`. List positions count from 0, as in TOML tools and JSON paths.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot.config_problems import describe_errors, toml_key
from bot.lead_desk_schema import (
    AlertsTable,
    DeskFile,
    FitRuleTable,
    RoutingTable,
    RuleTable,
    ScoringTable,
    SlaTable,
)
from bot.settings import SettingsError
from core.lead_scoring import FitRule, ScoringPolicy
from core.routing_rules import (
    QUEUE_RULE,
    Capacity,
    Match,
    RoutingPolicy,
    RoutingRule,
    RuleKind,
    SegmentBands,
)
from core.sla import SlaPolicy
from handlers.lead_desk import DeskPolicy

T = TypeVar("T")


class LeadDeskConfigError(SettingsError):
    """The lead desk configuration file is missing or wrong; one line naming the file and key."""


class _Problem(ValueError):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)


def load_desk_policy(path: Path | None) -> DeskPolicy:
    """The policy from the file at `path`; the built-in defaults when `path` is None."""
    if path is None:
        return DeskPolicy()
    where = f"lead desk config {path}"
    try:
        with path.open("rb") as file:
            raw = tomllib.load(file)
    except FileNotFoundError:
        raise LeadDeskConfigError(f"{where}: no such file (DEALBOT_LEAD_DESK_CONFIG)") from None
    except OSError as error:
        raise LeadDeskConfigError(f"{where}: cannot read it ({error.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise LeadDeskConfigError(f"{where}: not valid TOML: {error}") from None
    try:
        return desk_policy_from(raw)
    except _Problem as problem:
        raise LeadDeskConfigError(f"{where}: {problem}") from None


def desk_policy_from(raw: dict[str, Any]) -> DeskPolicy:
    """The policy from a parsed file; raises ValueError with the key path and the problem."""
    try:
        desk = DeskFile.model_validate(raw)
    except ValidationError as error:
        raise _Problem("", describe_errors(error.errors(), DeskFile)) from None
    return _checked(
        "alerts",
        DeskPolicy,
        scoring=_scoring(desk.scoring),
        routing=_routing(desk.routing),
        sla=_sla(desk.sla),
        **_alerts(desk.alerts),
    )


def _scoring(table: ScoringTable) -> ScoringPolicy:
    given = _given(table, "fit_rules", "signal_weights", "demo_request_kinds")
    defaults = ScoringPolicy()
    hot, warm = given.get("hot_at", defaults.hot_at), given.get("warm_at", defaults.warm_at)
    if warm >= hot:
        key = "warm_at" if "warm_at" in given else "hot_at"
        raise _Problem(f"scoring.{key}", f"warm_at ({warm:g}) must be below hot_at ({hot:g})")
    if table.fit_rules is not None:
        given["fit_rules"] = tuple(
            _fit_rule(rule, f"scoring.fit_rules[{index}]")
            for index, rule in enumerate(table.fit_rules)
        )
    if table.signal_weights is not None:
        given["signal_weights"] = dict(table.signal_weights)
    if table.demo_request_kinds is not None:
        given["demo_request_kinds"] = frozenset(table.demo_request_kinds)
    return _checked("scoring", ScoringPolicy, **given)


def _fit_rule(rule: FitRuleTable, path: str) -> FitRule:
    given = _given(rule, "equals", "contains")
    return _checked(
        path, FitRule, equals=tuple(rule.equals), contains=tuple(rule.contains), **given
    )


def _routing(table: RoutingTable) -> RoutingPolicy:
    given = _given(table, "segments", "tier_caps", "rules")
    bands = _given(table.segments)
    if bands:
        defaults = SegmentBands()
        low = bands.get("mid_market_from", defaults.mid_market_from)
        high = bands.get("enterprise_from", defaults.enterprise_from)
        if low > high:
            key = "enterprise_from" if "enterprise_from" in bands else "mid_market_from"
            raise _Problem(
                f"routing.segments.{key}",
                f"mid_market_from ({low}) must not be above enterprise_from ({high})",
            )
        given["segments"] = SegmentBands(**bands)
    given["tier_caps"] = {
        tier: Capacity(per_day=cap.per_day, per_week=cap.per_week)
        for tier in ("hot", "warm", "cold")
        if (cap := getattr(table.tier_caps, tier)) is not None
    }
    if table.rules is not None:
        given["rules"] = _rules(table.rules)
    return _checked("routing", RoutingPolicy, **given)


def _rules(tables: Sequence[RuleTable]) -> tuple[RoutingRule, ...]:
    first_named: dict[str, int] = {}
    rules = []
    for index, table in enumerate(tables):
        path = f"routing.rules[{index}]"
        folded = table.name.strip().casefold()
        if not folded:
            raise _Problem(f"{path}.name", "must not be blank")
        if folded == QUEUE_RULE:
            raise _Problem(f"{path}.name", "'queue' names leads no rule placed; pick another name")
        if folded in first_named:
            earlier = f"routing.rules[{first_named[folded]}]"
            raise _Problem(f"{path}.name", f"{table.name!r} is also the name of {earlier}")
        first_named[folded] = index
        rules.append(_rule(table, path))
    return tuple(rules)


def _rule(table: RuleTable, path: str) -> RoutingRule:
    kind = RuleKind(table.kind)
    if kind is RuleKind.FALLBACK and table.owner is None:
        raise _Problem(f"{path}.owner", "a fallback rule needs an owner (a rep's email)")
    if kind is not RuleKind.FALLBACK and table.owner is not None:
        raise _Problem(f"{path}.owner", f"only a fallback rule has an owner, not {kind.value}")
    for key in ("reps", "weights"):
        if kind is not RuleKind.ASSIGN and getattr(table, key):
            raise _Problem(f"{path}.{key}", f"only an assign rule has {key}, not {kind.value}")
    listed = {email.strip().casefold() for email in table.reps}
    for email in table.weights:
        if listed and email.strip().casefold() not in listed:
            raise _Problem(f"{path}.weights.{toml_key(email)}", "is not one of this rule's reps")
    low, high = table.min_employees, table.max_employees
    if low is not None and high is not None and low > high:
        raise _Problem(f"{path}.min_employees", f"{low} is above max_employees ({high})")
    match = Match(
        territories=tuple(table.territories),
        segments=tuple(table.segments),
        industries=tuple(table.industries),
        min_employees=low,
        max_employees=high,
        sources=tuple(table.sources),
        tiers=tuple(table.tiers),
    )
    return RoutingRule(
        name=table.name.strip(),
        kind=kind,
        match=match,
        reps=tuple(table.reps),
        weights=dict(table.weights),
        owner=table.owner,
    )


def _sla(table: SlaTable) -> SlaPolicy:
    given = _given(table, "targets")
    targets = dict(SlaPolicy().targets)
    targets.update(_given(table.targets))
    return _checked("sla", SlaPolicy, targets=targets, **given)


def _alerts(table: AlertsTable) -> dict[str, Any]:
    given = _given(table)
    for key in ("channel_tiers", "clock_tiers"):
        if key in given:
            given[key] = frozenset(given[key])
    return given


def _given(table: BaseModel, *besides: str) -> dict[str, Any]:
    """The keys the file set in this table, except `besides` (tables converted on their own)."""
    return {
        name: getattr(table, name)
        for name in table.model_fields_set
        if name not in besides and getattr(table, name) is not None
    }


def _checked(path: str, build: Callable[..., T], **values: Any) -> T:
    """`build(**values)`; a ValueError from its own checks is put at `path`."""
    try:
        return build(**values)
    except ValueError as error:
        raise _Problem(path, str(error).rstrip(".")) from None
