"""The ROI report's data, and the weekly report to each manager through the outbox.

`roi_report(uow, manager_id=..., now=..., weeks=1)` is the one call for the CLI, the reports API
and the manager dashboard: it loads what core.roi needs for a manager's team (`manager_id`), a
sales team (`team_id`) or everyone (neither) and returns a `core.roi.RoiReport`.

Each manager gets the report once per ISO week of their own calendar, at the start of their first
working day of the week (Monday for most) in their time zone: the outbox key
`roi:{manager id}:{ISO week}` is unique, so every replica may ask and one row is written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from core.messages import message_to_dict
from core.model import Rep, Role
from core.permissions import team_of
from core.ports import UnitOfWork
from core.roi import WEEK, RoiReport, build_roi_report
from core.roi_message import roi_message
from core.schedule import digest_due_date
from core.stages import Pipeline
from handlers.errors import UserError
from handlers.targets import Destinations

ROI_KIND = "roi"
LOOKBACK = timedelta(days=30)
"""How long before a period an action may have been first shown and still be done within it."""


def roi_report(
    uow: UnitOfWork,
    *,
    manager_id: int | None = None,
    team_id: int | None = None,
    now: datetime,
    weeks: int = 1,
    pipeline: Pipeline | None = None,
) -> RoiReport:
    """The ROI report as of `now` over `weeks` weeks (and the same span before) for a manager's
    team, a sales team or everyone, inside the caller's unit of work."""
    scope, reps = _scope(uow, manager_id, team_id)
    ids = [rep.id for rep in reps if rep.id is not None]
    since = now - 2 * WEEK * weeks
    records = uow.actions.history(
        since=since - LOOKBACK, until=now, rep_ids=ids, done_since=since - LOOKBACK
    )
    deal_ids = sorted({r.subject_id for r in records if r.subject_type == "deal"})
    deals = {d.id: d for d in uow.deals.by_ids(deal_ids) if d.id is not None}
    return build_roi_report(
        scope=scope,
        rep_ids=ids,
        now=now,
        weeks=weeks,
        records=records,
        changes=uow.deals.stage_changes(deal_ids) if deal_ids else [],
        deals=deals,
        decisions=uow.drafts.decisions(since=since, until=now, rep_ids=ids),
        leads=uow.leads.with_clocks(since=since, until=now),
        pipeline=pipeline or Pipeline(),
    )


def roi_report_from(
    uow_factory: Callable[[], UnitOfWork],
    *,
    manager_id: int | None = None,
    team_id: int | None = None,
    now: datetime,
    weeks: int = 1,
    pipeline: Pipeline | None = None,
) -> RoiReport:
    """`roi_report` in a unit of work of its own (the CLI and the reports API)."""
    with uow_factory() as uow:
        return roi_report(
            uow, manager_id=manager_id, team_id=team_id, now=now, weeks=weeks, pipeline=pipeline
        )


def _scope(uow: UnitOfWork, manager_id: int | None, team_id: int | None) -> tuple[str, list[Rep]]:
    if manager_id is not None and team_id is not None:
        raise UserError("Ask for a manager's team or a sales team, not both.")
    reps = uow.reps.list(active_only=False)
    if manager_id is not None:
        manager = uow.reps.get(manager_id)
        if manager is None or manager.role is Role.REP:
            raise UserError(f"No manager with id {manager_id}; `dealbot reps` lists them.")
        return f"{manager.name}'s team", team_of(manager, reps)
    if team_id is not None:
        team = uow.teams.get(team_id)
        if team is None:
            raise UserError(f"No sales team with id {team_id}.")
        return f"team {team.name}", [rep for rep in reps if rep.team_id == team_id]
    return "everyone", reps


def roi_key(manager_id: int, local_day: date) -> str:
    """The outbox key that makes a manager's report happen once per ISO week of their calendar."""
    year, week, _ = local_day.isocalendar()
    return f"{ROI_KIND}:{manager_id}:{year}-W{week:02d}"


def enqueue_due_roi_reports(
    uow_factory: Callable[[], UnitOfWork],
    *,
    at: datetime,
    pipeline: Pipeline | None = None,
    destinations: Destinations | None = None,
) -> int:
    """Queue the weekly report of every manager whose working week has begun without one."""
    places = destinations or Destinations()
    with uow_factory() as uow:
        due = {
            roi_key(rep.id, day): rep
            for rep in uow.reps.list()
            if rep.id is not None
            and rep.role is Role.MANAGER
            and (day := digest_due_date(rep, at)) is not None
        }
        sent = uow.outbox.existing(due)
        written = 0
        for key, manager in sorted(due.items()):
            if key in sent or manager.id is None:
                continue
            report = roi_report(uow, manager_id=manager.id, now=at, weeks=1, pipeline=pipeline)
            to = places.dm(manager)
            payload = {
                "kind": ROI_KIND,
                "rep_id": manager.id,
                "message": message_to_dict(roi_message(report)),
            }
            if uow.outbox.enqueue(
                key=key, platform=to.platform, target=to.target, payload=payload, at=at
            ):
                written += 1
        uow.commit()
    return written
