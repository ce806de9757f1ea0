"""Model features from as-of snapshots, and the words that explain them.

A feature is a name and a float, a string (a category) or None (unknown). Custom attributes
imported with a record become `attr:<name>` (the deal's or lead's) and `account:<name>`; they are
parsed as numbers when they look like numbers, and the learning adapter decides per column from
the training data whether it is numeric or categorical. This runs once per open deal on every
ranking (400k deals), so it is a dict literal and a loop over attributes, nothing more.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from core.facts import DealFacts, LeadFacts
from core.norms import StageNorms

Feature = float | str | None
Features = dict[str, Feature]

FREE_MAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "mail.com",
    }
)
# Words in a custom column's name that mean it is written at or after the outcome.
OUTCOME_WORDS = frozenset(
    {
        "outcome",
        "close",
        "closed",
        "closing",
        "won",
        "win",
        "lost",
        "loss",
        "reason",
        "converted",
        "conversion",
        "convert",
        "status",
        "probability",
        "forecast",
        "stage",
        "result",
        "duration",
        "last",
        "tag",
        "tags",
        "churn",
        "churned",
    }
)
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def outcome_like_name(column: str) -> bool:
    """True for custom columns named like the outcome (Closed Date, lost_reason, LastActivity...).

    On a closed record such a field describes the end, not what was known while it was open.
    """
    return any(word.lower() in OUTCOME_WORDS for word in _WORD.findall(column))


def attribute_value(raw: str | None) -> Feature:
    """A custom attribute as a number when it reads as one ("1,200", "3.5"), else trimmed text."""
    if raw is None:
        return None
    text = raw.strip()
    if not text or text.lower() in {"nan", "null", "none", "n/a", "na", "-"}:
        return None
    try:
        value = float(text.replace(",", "")) if text[0] in "+-.0123456789" else None
    except ValueError:
        return text
    if value is None or not math.isfinite(value):
        return text
    return value


def log10_or_none(value: float | int | None) -> float | None:
    """The feature form of an amount or a head count: log10, unknown when missing or not positive."""
    return math.log10(value) if value is not None and value > 0 else None


def _add_attributes(out: Features, prefix: str, attributes: Mapping[str, str]) -> None:
    for name, raw in attributes.items():
        out[prefix + name] = attribute_value(raw)


def deal_features(facts: DealFacts, norms: StageNorms) -> Features:
    """Features of a deal as of its snapshot; time in stage is measured against the stage's norm."""
    deal, account = facts.deal, facts.account
    out: Features = {
        "stage": facts.stage or None,
        "log_amount": log10_or_none(facts.amount),
        "age_days": facts.age_days,
        "stage_time_ratio": facts.days_in_stage / norms.stage_days(facts.stage),
        "days_since_touch": facts.days_since_touch,
        "touches_14d": float(facts.touches_14d),
        "touches_30d": float(facts.touches_30d),
        "touches_total": float(facts.touches_total),
        "source": deal.source or None,
        "owner": None if deal.owner_id is None else str(deal.owner_id),
    }
    if account is not None:
        out["industry"] = account.industry or None
        out["log_employees"] = log10_or_none(account.employees)
        out["region"] = account.region or None
        _add_attributes(out, "account:", account.attributes)
    _add_attributes(out, "attr:", deal.attributes)
    return out


def _email_kind(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return "free" if email.rsplit("@", 1)[1].lower() in FREE_MAIL else "work"


def lead_features(facts: LeadFacts) -> Features:
    """Features of a lead: where it came from, who it is, and what it did in its first window."""
    lead, account = facts.lead, facts.account
    out: Features = {
        "source": lead.source or None,
        "owner": None if lead.owner_id is None else str(lead.owner_id),
        "email_kind": _email_kind(lead.email),
        "signals_7d": float(facts.signals_7d),
        "signals_total": float(facts.signals_total),
        "signal_weight_7d": facts.signal_weight_7d,
        "touches_total": float(facts.touches_total),
    }
    if account is not None:
        out["industry"] = account.industry or None
        out["log_employees"] = log10_or_none(account.employees)
        out["region"] = account.region or None
        _add_attributes(out, "account:", account.attributes)
    _add_attributes(out, "attr:", lead.attributes)
    return out


def _money(value: float) -> str:
    return f"${value:,.0f}"


def _deal_words(name: str, facts: DealFacts, norms: StageNorms) -> str | None:
    stage = facts.stage or "unknown-stage"
    if name == "stage":
        return f"{stage} stage wins {norms.win_rate(facts.stage).rate:.0%} historically"
    if name == "log_amount":
        if facts.amount is None:
            return "no amount recorded"
        typical = norms.median_amount
        if typical is None:
            return f"amount {_money(facts.amount)}"
        side = "above" if facts.amount >= typical else "below"
        return f"amount {_money(facts.amount)} {side} typical ({_money(typical)})"
    if name == "stage_time_ratio":
        norm = norms.stage_days(facts.stage)
        return f"{facts.days_in_stage:.0f} days in {stage} (norm {norm:.0f})"
    if name == "days_since_touch":
        days = facts.days_since_touch
        if days is None:
            return "never touched"
        return f"no touch for {days:.0f} days (stage norm {norms.touch_gap(facts.stage):.0f})"
    if name == "age_days":
        return f"open {facts.age_days:.0f} days"
    if name.startswith("touches_"):
        window = {"touches_14d": "in 14 days", "touches_30d": "in 30 days"}.get(name, "in total")
        count = getattr(facts, name)
        return f"{count} touch{'es' if count != 1 else ''} {window}"
    return None


def describe_deal_factor(name: str, facts: DealFacts, norms: StageNorms, value: Feature) -> str:
    """A feature of a deal in words, e.g. "no touch for 21 days (stage norm 6)"."""
    return _deal_words(name, facts, norms) or describe_value(name, value)


def describe_value(name: str, value: Feature) -> str:
    """Any feature in words from its name and value, e.g. "industry: fintech"."""
    label = name.split(":", 1)[1] if ":" in name else name.replace("_", " ")
    if name.startswith("account:"):
        label = f"account {label}"
    if value is None:
        return f"{label} unknown"
    if name == "owner":
        return f"owner #{value}'s record"
    if name.startswith("log_") and isinstance(value, float):
        return f"{label.removeprefix('log ')} {10**value:,.0f}"
    if isinstance(value, float):
        return f"{label} {value:,.4g}"
    return f"{label}: {value}"
