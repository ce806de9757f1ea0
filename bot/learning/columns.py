"""The deal model's input straight from `OpenDeals` columns, for the bulk ranking.

`core.features.deal_features` builds a dict per deal; for 400,000 deals the dicts and their
encoding cost more than the model. Here each column the model reads is built once over all deals,
with the same values `deal_features` would give (the tests hold the two to equality), and only for
the columns the fitted feature space knows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from core.facts import OpenDeals
from core.features import Feature, attribute_value, log10_or_none
from core.model import Account
from core.norms import StageNorms


def deal_feature_columns(
    deals: OpenDeals, norms: StageNorms, names: Collection[str]
) -> dict[str, Sequence[Feature]]:
    """Each wanted feature of `deal_features`, as one list over all the deals."""
    out: dict[str, Sequence[Feature]] = {}
    for name in names:
        column = _column(deals, norms, name)
        if column is not None:
            out[name] = column
    return out


def _column(deals: OpenDeals, norms: StageNorms, name: str) -> list[Feature] | None:
    if name.startswith("attr:"):
        key = name.removeprefix("attr:")
        return [attribute_value(a.get(key)) if a else None for a in deals.attributes]
    if name.startswith("account:"):
        key = name.removeprefix("account:")
        return _per_account(deals, lambda a: attribute_value(a.attributes.get(key)))
    if name in _ACCOUNT_FEATURES:
        return _per_account(deals, _ACCOUNT_FEATURES[name])
    if name == "stage_time_ratio":
        norm = {stage: norms.stage_days(stage) for stage in set(deals.stage)}
        return [d / norm[s] for d, s in zip(deals.days_in_stage, deals.stage, strict=True)]
    if name in _DEAL_FEATURES:
        return _DEAL_FEATURES[name](deals)
    return None


def _floats(values: Sequence[int]) -> list[Feature]:
    return [float(v) for v in values]


_DEAL_FEATURES: dict[str, Callable[[OpenDeals], list[Feature]]] = {
    "stage": lambda d: [s or None for s in d.stage],
    "log_amount": lambda d: _memoised(log10_or_none, d.amount),
    "age_days": lambda d: list(d.age_days),
    "days_since_touch": lambda d: list(d.days_since_touch),
    "touches_14d": lambda d: _floats(d.touches_14d),
    "touches_30d": lambda d: _floats(d.touches_30d),
    "touches_total": lambda d: _floats(d.touches_total),
    "source": lambda d: [s or None for s in d.source],
    "owner": lambda d: [None if o is None else str(o) for o in d.owner_id],
}
_ACCOUNT_FEATURES: dict[str, Callable[[Account], Feature]] = {
    "industry": lambda a: a.industry or None,
    "log_employees": lambda a: log10_or_none(a.employees),
    "region": lambda a: a.region or None,
}


def _memoised(feature: Callable[[Any], Feature], values: Sequence[Any]) -> list[Feature]:
    """A feature of each value, worked out once per distinct value (amounts repeat a lot)."""
    known = {v: feature(v) for v in set(values)}
    return [known[v] for v in values]


def _per_account(deals: OpenDeals, feature: Callable[[Account], Feature]) -> list[Feature]:
    """A feature of each deal's account, worked out once per account."""
    by_account: dict[int | None, Feature] = {i: feature(a) for i, a in deals.accounts.items()}
    by_account[None] = None
    return [by_account[a] for a in deals.account_id]
