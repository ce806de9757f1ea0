"""The SLA report: how fast leads whose response clock started in a window were answered."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from core.ports import UnitOfWork
from core.sla_report import SlaReport, build_sla_report


def sla_report(
    uow_factory: Callable[[], UnitOfWork], *, since: datetime, until: datetime
) -> SlaReport:
    """Time to first touch, breaches and waiting leads per rep, team and week, for [since, until)."""
    with uow_factory() as uow:
        leads = uow.leads.with_clocks(since=since, until=until)
        reps = uow.reps.list(active_only=False)
        teams = uow.teams.list()
    return build_sla_report(
        leads,
        rep_names={rep.id: rep.name for rep in reps if rep.id is not None},
        team_names={team.id: team.name for team in teams if team.id is not None},
        since=since,
        until=until,
    )
