"""The morning digest: one DM per rep per local working day, written to the outbox.

The scheduler calls `enqueue_due_digests` every minute. It asks the database which reps are due
(core.schedule) and have no digest yet for their local date; the outbox key
`digest:{rep id}:{local date}` is unique, so repeated ticks, restarts and a second replica
ticking at the same moment still give each rep one digest a day.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from core.action_messages import ListItem, digest_message
from core.messages import Message, message_to_dict
from core.model import Action, Rep
from core.ports import Forecaster, UnitOfWork
from core.schedule import digest_due_date, zone_is_known
from core.stages import Pipeline
from handlers.digest_lists import RankedList, ranked_lists
from handlers.targets import Destinations, Target

DIGEST_KIND = "digest"
RACE_ATTEMPTS = 3
"""Passes before giving up when another replica keeps writing the same digests first."""


@dataclass(frozen=True, slots=True)
class DigestRun:
    """What one pass did, in counts only (safe to log)."""

    at: datetime
    active_reps: int = 0
    due: int = 0
    enqueued: int = 0
    already_sent: int = 0
    unknown_zones: int = 0
    """Active reps whose time zone is unknown; their digests follow UTC hours."""

    @property
    def not_due(self) -> int:
        """Active reps outside their working hours, on a day off, a holiday or out of office."""
        return self.active_reps - self.due

    def describe(self) -> str:
        return (
            f"{self.due} due, {self.enqueued} enqueued, {self.already_sent} already sent, "
            f"{self.not_due} not due, {self.unknown_zones} with an unknown time zone"
        )


@dataclass(frozen=True, slots=True)
class _Due:
    rep: Rep
    rep_id: int
    day: date

    @property
    def key(self) -> str:
        return digest_key(self.rep_id, self.day)


class _AlreadyQueued(Exception):
    """Another pass (another replica) wrote one of these digests after we looked."""


def digest_key(rep_id: int, local_date: date) -> str:
    """The outbox key that makes a rep's digest happen once per local date."""
    return f"{DIGEST_KIND}:{rep_id}:{local_date.isoformat()}"


def enqueue_due_digests(
    uow_factory: Callable[[], UnitOfWork],
    forecaster: Forecaster,
    pipeline: Pipeline,
    *,
    at: datetime,
    size: int = 7,
    destinations: Destinations | None = None,
) -> DigestRun:
    """Write the digest of every rep whose morning has come and who has none yet for the day."""
    places = destinations or Destinations()
    for _ in range(RACE_ATTEMPTS - 1):
        try:
            return _enqueue_pass(uow_factory, forecaster, pipeline, at, size, places)
        except _AlreadyQueued:
            continue  # rolled back; the next pass sees the other replica's rows and skips them
    return _enqueue_pass(uow_factory, forecaster, pipeline, at, size, places)


def _enqueue_pass(
    uow_factory: Callable[[], UnitOfWork],
    forecaster: Forecaster,
    pipeline: Pipeline,
    at: datetime,
    size: int,
    places: Destinations,
) -> DigestRun:
    with uow_factory() as uow:
        reps = [r for r in uow.reps.list() if r.id is not None]
        due = _due(reps, at)
        sent = uow.outbox.existing(d.key for d in due)
        todo = [d for d in due if d.key not in sent]
        run = DigestRun(
            at=at,
            active_reps=len(reps),
            due=len(due),
            already_sent=len(due) - len(todo),
            unknown_zones=sum(1 for r in reps if not zone_is_known(r.time_zone)),
        )
        if not todo:
            return run
        lists = ranked_lists(uow, forecaster, [d.rep for d in todo], at=at, limit=size)
        shown = _record_shown(uow, lists)
        for digest in todo:
            message = _message(digest.rep, lists[digest.rep_id], shown[digest.rep_id], pipeline)
            if not _enqueue(uow, digest, message, at, places.dm(digest.rep)):
                raise _AlreadyQueued
        uow.commit()
    return replace(run, enqueued=len(todo))


def _due(reps: Sequence[Rep], at: datetime) -> list[_Due]:
    """Due reps with their local date, in id order so concurrent passes write in the same order."""
    due = [
        _Due(rep, rep.id, day)
        for rep in reps
        if rep.id is not None and (day := digest_due_date(rep, at)) is not None
    ]
    return sorted(due, key=lambda d: d.rep_id)


def _record_shown(uow: UnitOfWork, lists: dict[int, RankedList]) -> dict[int, list[Action]]:
    """Record every shown item in one call; items still open from earlier keep their ids."""
    flat = [a for ranked in lists.values() for a in ranked.actions]
    stored = uow.actions.record_shown(flat) or flat
    by_rep: dict[int, list[Action]] = {rep_id: [] for rep_id in lists}
    for action in stored:
        by_rep[action.rep_id].append(action)
    return by_rep


def _message(rep: Rep, ranked: RankedList, shown: Sequence[Action], pipeline: Pipeline) -> Message:
    items = [
        ListItem(action, pipeline.next_stages(ranked.deal_stages.get(action.subject_id, "")))
        if action.subject_type == "deal"
        else ListItem(action)
        for action in shown
    ]
    return digest_message(rep.name, items, open_deals=ranked.open_deals)


def _enqueue(uow: UnitOfWork, digest: _Due, message: Message, at: datetime, to: Target) -> bool:
    return uow.outbox.enqueue(
        key=digest.key,
        platform=to.platform,
        target=to.target,
        payload={"kind": DIGEST_KIND, "rep_id": digest.rep_id, "message": message_to_dict(message)},
        at=at,
    )
