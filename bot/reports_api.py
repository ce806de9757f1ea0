"""Reports over HTTP, for the dashboard and scripts: `GET /api/reports/sla?days=7` and
`GET /api/reports/roi?weeks=1[&manager_id=N|&team_id=N]`.

Admin only (`bot.admin_access`): loopback clients, or the admin token as a bearer token.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from bot.admin_access import require_admin
from bot.services import Services
from core.ids import MAX_ID
from handlers.errors import UserError
from handlers.roi_report import roi_report_from
from handlers.sla_report import sla_report

MAX_REPORT_DAYS = 366
BOTH_SCOPES = (
    "Give manager_id or team_id, not both: manager_id reports on a manager's team, team_id on "
    "a sales team."
)


def reports_router() -> APIRouter:
    """The `/api/reports` routes; `create_app` includes them."""
    router = APIRouter(
        prefix="/api/reports", tags=["reports"], dependencies=[Depends(require_admin)]
    )

    @router.get("/sla")
    def sla(
        request: Request,
        days: Annotated[
            int, Query(ge=1, le=MAX_REPORT_DAYS, description="Clocks started in the last N days.")
        ] = 7,
    ) -> dict[str, Any]:
        """Time to first touch (median, p90), breaches and waiting leads per rep, team and week."""
        services: Services = request.app.state.services
        until = services.clock.now()
        report = sla_report(services.uow_factory, since=until - timedelta(days=days), until=until)
        return report.to_dict()

    @router.get("/roi")
    def roi(
        request: Request,
        weeks: Annotated[
            int, Query(ge=1, le=52, description="The last N weeks, against the N weeks before.")
        ] = 1,
        manager_id: Annotated[
            int | None, Query(ge=1, le=MAX_ID, description="A manager's team only.")
        ] = None,
        team_id: Annotated[
            int | None, Query(ge=1, le=MAX_ID, description="A sales team only.")
        ] = None,
    ) -> dict[str, Any]:
        """Actions done, deals moved within 14 days and their amounts per currency, drafts
        decided, and the median time to first touch per week."""
        if manager_id is not None and team_id is not None:  # a request that cannot be answered
            raise HTTPException(status_code=422, detail=BOTH_SCOPES)
        services: Services = request.app.state.services
        try:
            report = roi_report_from(
                services.uow_factory,
                manager_id=manager_id,
                team_id=team_id,
                now=services.clock.now(),
                weeks=weeks,
                pipeline=services.settings.pipeline,
            )
        except UserError as error:  # the manager or the team asked for is not there
            raise HTTPException(status_code=404, detail=str(error)) from None
        return report.to_dict()

    return router
