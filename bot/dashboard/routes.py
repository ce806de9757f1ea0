"""`GET /dashboard` (the page) and `POST /dashboard/api/outbox/retry` (a dead letter again).

Admin only (`bot.admin_access`): this machine, or the admin token. The retry is the same call as
`dealbot outbox retry` (`handlers.outbox_retry.retry_dead_messages`), audited the same way.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, ValidationError

from bot.admin_access import require_admin
from bot.dashboard.panels import PANELS, DashboardContext, duration, money
from bot.services import Services
from bot.web.fields import RowId
from bot.web.pages import check_page_post, html_page
from handlers.outbox_retry import retry_dead_messages


class RetryIn(BaseModel):
    ids: list[RowId] = Field(min_length=1, max_length=1000)


def dashboard_router() -> APIRouter:
    router = APIRouter(
        prefix="/dashboard", dependencies=[Depends(require_admin)], tags=["dashboard"]
    )

    @router.get("", response_class=HTMLResponse, include_in_schema=False)
    def page(request: Request) -> HTMLResponse:
        services: Services = request.app.state.services
        ctx = DashboardContext(services, services.clock.now())
        panels = [build(ctx) for build in PANELS]
        return html_page(
            request,
            "dashboard.html",
            panels=panels,
            now=ctx.now,
            money=money,
            duration=duration,
            active="dashboard",
            emulator_on=services.settings.emulator_enabled,
        )

    @router.post("/api/outbox/retry", dependencies=[Depends(check_page_post)])
    async def retry(request: Request) -> dict[str, Any]:
        services: Services = request.app.state.services
        try:
            body = RetryIn.model_validate_json(await request.body())
        except ValidationError:
            return {"ok": False, "notice": "Send the ids of dead messages to retry."}
        who = f"dashboard ({request.client.host if request.client else 'unknown host'})"
        revived = retry_dead_messages(
            services.uow_factory, body.ids, actor=who, at=services.clock.now()
        )
        services.wake_delivery()
        skipped = sorted(set(body.ids) - set(revived))
        notice = f"Queued {len(revived)} message(s) again."
        if skipped:
            notice += f" Not dead, left alone: {', '.join(map(str, skipped))}."
        return {"ok": True, "notice": notice, "revived": revived}

    return router
