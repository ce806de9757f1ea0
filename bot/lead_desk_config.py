"""The lead desk configuration file (TOML, `DEALBOT_LEAD_DESK_CONFIG`) as a `DeskPolicy`.

`lead-desk.example.toml` at the repository root shows every key. Any problem is one
`LeadDeskConfigError` line naming the file and the key, e.g.
`lead desk config leads.toml: routing.rules[2].kind: must be one of account_owner, assign,
fallback`. List positions count from 0, as in TOML tools and JSON paths.
"""

from __future__ import annotations

import json
import re
import tomllib
import types
import typing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

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
MAX_PROBLEMS = 5
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


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
        raise _Problem("", _describe(error.errors())) from None
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
            raise _Problem(f"{path}.weights.{_key(email)}", "is not one of this rule's reps")
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


def _describe(errors: Sequence[ErrorDetails]) -> str:
    lines = [f"{_path(error['loc'])}: {_message(error)}" for error in errors[:MAX_PROBLEMS]]
    if len(errors) > MAX_PROBLEMS:
        lines.append(f"and {len(errors) - MAX_PROBLEMS} more")
    return "; ".join(lines)


def _path(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part != "[key]":
            path += ("." if path else "") + _key(part)
    return path or "(top level)"


def _key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else json.dumps(name)


_TYPE_WORDS = {
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "finite_number": "a finite number",
    "bool_type": "true or false",
    "string_type": "text in quotes",
    "list_type": 'a list like ["a", "b"]',
    "dict_type": "a table",
    "model_type": "a table",
}


def _message(error: ErrorDetails) -> str:
    kind, context = error["type"], error.get("ctx") or {}
    if kind == "extra_forbidden":
        allowed = _keys_at(error["loc"][:-1])
        return "unknown key" + (f"; use {', '.join(allowed)}" if allowed else "")
    if kind == "missing":
        return "is required"
    if kind == "literal_error":
        expected = str(context.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"must be one of {expected}, not {_shown(error['input'])}"
    if kind in _TYPE_WORDS:
        return f"must be {_TYPE_WORDS[kind]}, not {_shown(error['input'])}"
    bounds = {
        "greater_than": "above {gt}",
        "greater_than_equal": "{ge} or more",
        "less_than": "below {lt}",
        "less_than_equal": "{le} or less",
    }
    if kind in bounds:
        limits = {name: f"{value:g}" for name, value in context.items()}
        return f"must be {bounds[kind].format(**limits)}, not {_shown(error['input'])}"
    if kind == "string_too_short":
        return "must not be empty"
    return str(error["msg"]).removeprefix("Value error, ")


def _shown(value: object) -> str:
    if isinstance(value, dict):
        return "a table"
    text = json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _keys_at(loc: Sequence[int | str]) -> list[str]:
    """The keys the table at `loc` allows, for 'unknown key; use ...'."""
    kind: Any = DeskFile
    for part in loc:
        kind = _unwrapped(kind)
        if isinstance(part, int):
            continue
        fields = getattr(kind, "model_fields", {})
        if part not in fields:
            return []
        kind = fields[part].annotation
    kind = _unwrapped(kind)
    return list(getattr(kind, "model_fields", {}))


def _unwrapped(kind: Any) -> Any:
    """The table type inside `X | None` and `list[X]`."""
    while True:
        origin = typing.get_origin(kind)
        if origin in (typing.Union, types.UnionType):
            kind = next(arg for arg in typing.get_args(kind) if arg is not type(None))
        elif origin is list:
            kind = typing.get_args(kind)[0]
        else:
            return kind
