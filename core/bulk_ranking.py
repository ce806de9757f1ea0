"""Every rep's ranked list in one pass, from deals held column by column.

The morning digest ranks every rep's open deals at once (400,000 of them). Building a `DealFacts`
per deal and scoring them one by one is most of that work, so here the scores come straight
from the columns of `OpenDeals`, and facts are built only for each rep's best few deals. The
rules are those of `core.ranking`, and the lists are the ones `build_action_list` gives.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

from core.action_effects import NO_EFFECTS, ActionEffects
from core.facts import LeadFacts, OpenDeals
from core.model import Action, ActionKind
from core.ranking import (
    FRESH_SIGNAL_DAYS,
    QUIET_FLOOR_DAYS,
    DealOutlook,
    LeadOutlook,
    OutlookColumns,
    build_action_list,
)


def deal_scores(
    deals: OpenDeals,
    outlooks: OutlookColumns,
    quiet_after_days: Mapping[str, float] | None = None,
    effects: ActionEffects = NO_EFFECTS,
) -> list[float]:
    """Each deal's score as `build_action_list` computes it, straight from the columns.

    This is `expected_value` x `urgency_multiplier` x the learned multiplier of the item's kind
    written out in one loop, with each stage's threshold rounded once: at 400,000 deals two calls
    per deal cost more than the arithmetic. The tests hold it to the per-deal score on every branch.
    """
    quiet = quiet_after_days or {}
    rounded = {s: round(max(QUIET_FLOOR_DAYS, quiet.get(s, 14.0))) for s in set(deals.stage)}
    overdue, gone_quiet, follow_up = (
        effects.multiplier(kind)
        for kind in (ActionKind.OVERDUE_NEXT_STEP, ActionKind.GONE_QUIET, ActionKind.FOLLOW_UP)
    )
    scores = []
    for amount, p_win, days, late, touch, age, stage, signal in zip(
        deals.amount,
        outlooks.p_win,
        outlooks.expected_days,
        deals.next_step_late_days,
        deals.days_since_touch,
        deals.age_days,
        deals.stage,
        deals.days_since_signal,
        strict=True,
    ):
        multiplier = 1.0
        quiet_now = round(age if touch is None else touch) > rounded[stage]
        if late is not None and late > 0:
            multiplier *= 1.5 + min(late, 10) * 0.1
            learned = overdue
        else:
            learned = gone_quiet if quiet_now else follow_up
        if quiet_now:
            multiplier *= 1.3
        if signal is not None and signal <= FRESH_SIGNAL_DAYS:
            multiplier *= 1.5
        if learned != 1.0:
            multiplier *= learned
        scores.append((amount or 0.0) * p_win / (days if days > 1.0 else 1.0) * multiplier)
    return scores


def build_action_lists(
    *,
    rep_ids: Iterable[int],
    deals: OpenDeals,
    deal_outlooks: OutlookColumns,
    leads: Sequence[LeadFacts] = (),
    lead_outlooks: Mapping[int, LeadOutlook] | None = None,
    quiet_after_days: Mapping[str, float] | None = None,
    hidden: Mapping[int, Collection[tuple[str, int]]] | None = None,
    limit: int | None = None,
    new_id: Callable[[], uuid.UUID] = uuid.uuid4,
    effects: ActionEffects = NO_EFFECTS,
) -> dict[int, list[Action]]:
    """Every rep's list in one pass: what `build_action_list` gives each rep, from columns.

    Deals are scored from the columns; facts are built only for each rep's best `limit` visible
    deals, which then compete with the rep's leads exactly as in `build_action_list`.
    """
    # Sorting on the score alone is stable, so each rep's deals are listed in id order first
    # and ties then fall to the lower id, as `build_action_list` breaks them.
    rank_key = [
        -s if math.isfinite(s) else 0.0
        for s in deal_scores(deals, deal_outlooks, quiet_after_days, effects)
    ]
    owners, ids = deals.owner_id, deals.deal_id
    mine: dict[int, list[int]] = {}
    for index in sorted(range(len(ids)), key=ids.__getitem__):
        if (owner := owners[index]) is not None:
            mine.setdefault(owner, []).append(index)
    leads_of: dict[int, list[LeadFacts]] = {}
    for lead in leads:
        if lead.lead.owner_id is not None:
            leads_of.setdefault(lead.lead.owner_id, []).append(lead)
    quiet = quiet_after_days or {}
    lists: dict[int, list[Action]] = {}
    for rep in rep_ids:
        shut = (hidden or {}).get(rep, ())
        best = sorted(
            (i for i in mine.get(rep, ()) if not shut or ("deal", ids[i]) not in shut),
            key=rank_key.__getitem__,
        )[:limit]
        lists[rep] = build_action_list(
            deals=[deals.facts(i) for i in best],
            deal_outlooks={
                deals.deal_id[i]: DealOutlook(
                    deal_outlooks.p_win[i], deal_outlooks.expected_days[i]
                )
                for i in best
            },
            leads=leads_of.get(rep, []),
            lead_outlooks=lead_outlooks,
            quiet_after_days=quiet,
            hidden=shut,
            limit=limit,
            new_id=new_id,
            effects=effects,
        )
    return lists
