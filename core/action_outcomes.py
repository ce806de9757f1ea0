"""What followed a ranked action: did its deal advance, win or lose within 14 days?

Outcomes are derived from the stage-change history, never recorded twice. The clock starts when
the action was done, or when it was first shown for one nobody acted on. A deal advanced when a
stage change within the window moved it to a later open stage or to Won; Lost is not an advance.
Actions on leads have no stage history, so they carry no outcome here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.model import ActionKind, ActionStatus, Deal, StageChange
from core.stages import LOST, WON, Pipeline

OUTCOME_WINDOW = timedelta(days=14)


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """A stored action as the learning loop reads it: what it was and what the rep did."""

    id: uuid.UUID
    rep_id: int
    kind: ActionKind
    subject_type: str
    subject_id: int
    shown_at: datetime
    """When it was first shown (a later showing of the same open item keeps its id)."""
    status: ActionStatus
    status_at: datetime | None = None
    """When it was done, snoozed or dismissed."""

    @property
    def done(self) -> bool:
        return self.status is ActionStatus.DONE

    @property
    def started_at(self) -> datetime:
        """Where the outcome window starts: the done time, else the first showing."""
        if self.done and self.status_at is not None:
            return self.status_at
        return self.shown_at


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    """One action on a deal with what happened to the deal in the 14 days after it."""

    action: ActionRecord
    advanced: bool
    """Moved to a later stage or won within the window."""
    won: bool
    lost: bool
    window_closed: bool
    """The 14 days are over as of the time asked about: the outcome is final."""
    deal: Deal | None = None

    @property
    def moved(self) -> bool:
        """The success the learning loop counts: advanced or won."""
        return self.advanced or self.won


def action_outcomes(
    actions: Iterable[ActionRecord],
    changes: Sequence[StageChange],
    *,
    pipeline: Pipeline,
    as_of: datetime,
    deals: Mapping[int, Deal] | None = None,
    window: timedelta = OUTCOME_WINDOW,
) -> list[ActionOutcome]:
    """Each deal action's outcome as of `as_of`; lead actions are left out."""
    by_deal: dict[int, list[StageChange]] = {}
    for change in changes:
        by_deal.setdefault(change.deal_id, []).append(change)
    outcomes = []
    for action in actions:
        if action.subject_type != "deal":
            continue
        start = action.started_at
        end = min(start + window, as_of)
        # Strictly after the start: "Advance stage" on the list marks the action done and moves
        # the deal at the same instant, and that move is the action, not what followed it.
        inside = [c for c in by_deal.get(action.subject_id, ()) if start < c.changed_at <= end]
        outcomes.append(
            ActionOutcome(
                action=action,
                advanced=any(is_advance(c, pipeline) for c in inside),
                won=any(pipeline.canonical(c.to_stage) == WON for c in inside),
                lost=any(pipeline.canonical(c.to_stage) == LOST for c in inside),
                window_closed=start + window <= as_of,
                deal=(deals or {}).get(action.subject_id),
            )
        )
    return outcomes


def is_advance(change: StageChange, pipeline: Pipeline) -> bool:
    """True for a move to a later open stage or to Won (a deal's first stage is no advance)."""
    to_stage = pipeline.canonical(change.to_stage)
    if to_stage == WON:
        return True
    if to_stage is None or to_stage == LOST or change.from_stage is None:
        return False
    from_stage = pipeline.canonical(change.from_stage)
    if from_stage is None or from_stage not in pipeline.open_stages:
        return False
    return pipeline.index(to_stage) > pipeline.index(from_stage)
