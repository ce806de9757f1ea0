"""The FastAPI application. Everything is built inside `create_app`; nothing at import time."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from bot.dashboard.routes import dashboard_router
from bot.emulator.routes import mount_emulator
from bot.emulator.wiring import build_emulator
from bot.lifespan import app_lifespan
from bot.metrics_http import add_metrics
from bot.reports_api import reports_router
from bot.services import Services, build_services
from bot.settings import Settings
from bot.slack.app import build_slack_app, mount_slack
from bot.teams.app import build_teams, mount_teams
from bot.web.pages import mount_static
from bot.webhooks.routes import webhook_router


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(_services)]


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    """The app for `settings`; pass `services` to share an engine with the caller (tests, demo)."""
    app = FastAPI(
        title="dealbot",
        version="0.1.0",
        docs_url="/docs",
        redoc_url=None,
        lifespan=app_lifespan,
    )
    app.state.settings = settings
    app.state.services = services or build_services(settings)
    app.state.slack = build_slack_app(app.state.services)
    if app.state.slack is not None:
        mount_slack(app, app.state.slack)
    app.include_router(webhook_router(app.state.services))
    app.include_router(reports_router())
    add_metrics(app, app.state.services.metrics)
    app.state.teams = build_teams(app.state.services)
    if app.state.teams is not None:
        mount_teams(app, app.state.teams)
    mount_static(app)
    app.include_router(dashboard_router())
    emulator = build_emulator(app.state.services)
    if emulator is not None:
        mount_emulator(app, emulator)

    @app.get("/healthz", tags=["operations"])
    def healthz(services: ServicesDep) -> JSONResponse:
        """Liveness and database reachability, for load balancers and `dealbot serve` checks."""
        body: dict[str, Any] = {"status": "ok", "database": "ok"}
        try:
            with services.engine.connect() as conn:
                conn.execute(text("select 1"))
        except Exception:  # the database is down or unreachable: say so, do not raise
            body.update(status="degraded", database="unreachable")
            return JSONResponse(body, status_code=503)
        return JSONResponse(body)

    return app
