"""Reports over HTTP, for the dashboard and scripts: `GET /api/reports/sla?days=7`.

Admin only (`bot.admin_access`): loopback clients, or the admin token as a bearer token.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from bot.admin_access import require_admin
from bot.services import Services
from handlers.sla_report import sla_report

MAX_REPORT_DAYS = 366


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

    return router
