"""The learning loop: what ranked actions led to, and the per-kind multipliers learned from it.

`learn_action_effects` runs with every retrain (nightly and `dealbot model train`): it reads the
last `HISTORY_DAYS` of actions with their deals' stage changes, estimates the multipliers
(core.action_effects) and stores them as a model version of kind `action_effects` (the figures
live in its metrics). Every ranking path loads the live one with `load_action_effects` and
passes it to the pure ranking as a value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from core.action_effects import NO_EFFECTS, ActionEffects, estimate_action_effects
from core.action_outcomes import ActionOutcome, action_outcomes
from core.ports import Clock, UnitOfWork
from core.stages import Pipeline

EFFECTS_KIND = "action_effects"
HISTORY_DAYS = 180
"""How far back the estimate looks: long enough for a few hundred actions, recent enough to
follow how the team works now."""


def load_action_effects(uow: UnitOfWork) -> ActionEffects:
    """The live multipliers, or none (every kind counts 1) before the first estimate."""
    stored = uow.model_versions.latest(EFFECTS_KIND)
    return ActionEffects.from_dict(stored[1]) if stored is not None else NO_EFFECTS


def load_outcomes(
    uow: UnitOfWork,
    *,
    since: datetime,
    until: datetime,
    as_of: datetime,
    pipeline: Pipeline,
    rep_ids: Sequence[int] | None = None,
) -> list[ActionOutcome]:
    """Outcomes of the deal actions first shown in [since, until), as known at `as_of`."""
    records = uow.actions.history(since=since, until=until, rep_ids=rep_ids)
    deal_ids = sorted({r.subject_id for r in records if r.subject_type == "deal"})
    if not deal_ids:
        return []
    changes = uow.deals.stage_changes(deal_ids)
    deals = {d.id: d for d in uow.deals.by_ids(deal_ids) if d.id is not None}
    return action_outcomes(records, changes, pipeline=pipeline, as_of=as_of, deals=deals)


def learn_action_effects(
    uow_factory: Callable[[], UnitOfWork], clock: Clock, *, pipeline: Pipeline
) -> tuple[int, ActionEffects]:
    """Estimate the multipliers from recent history and store them as the live version."""
    now = clock.now()
    with uow_factory() as uow:
        outcomes = load_outcomes(
            uow, since=now - timedelta(days=HISTORY_DAYS), until=now, as_of=now, pipeline=pipeline
        )
        effects = estimate_action_effects(outcomes)
        closed = sum(1 for o in outcomes if o.window_closed)
        version = uow.model_versions.add(
            kind=EFFECTS_KIND,
            trained_at=now,
            metrics={**effects.to_dict(), "examples": closed, "model": "beta_posterior"},
            blob=b"",
        )
        uow.commit()
    return version, effects
