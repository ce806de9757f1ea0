"""`GET /metrics` (admin only, like the reports API) and the acknowledgement timer of Slack and Teams.

The timer is plain ASGI, not a Starlette `BaseHTTPMiddleware`: it adds no task or body copy to
any request, and it times only Slack's and Teams' endpoints, from the request's arrival to the
start of the answer (what Slack's 3 s limit counts).
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.admin_access import require_admin
from bot.metrics import Metrics

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"
ACK_PATHS = {"/slack/events": "slack", "/api/messages": "teams"}


def metrics_router() -> APIRouter:
    router = APIRouter(tags=["operations"], dependencies=[Depends(require_admin)])

    @router.get("/metrics", response_class=Response)
    def metrics(request: Request) -> Response:
        """Prometheus metrics of this process (deliveries, retries, acks, SLA, clocks)."""
        registry: Metrics = request.app.state.services.metrics
        return Response(registry.exposition(), media_type=PROMETHEUS_TEXT)

    return router


class AckTimer:
    """ASGI middleware: observe `dealbot_ack_seconds` for requests to Slack's and Teams' paths."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        platform = ACK_PATHS.get(scope.get("path", "")) if scope["type"] == "http" else None
        if platform is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        observed = False

        async def timed_send(message: Message) -> None:
            nonlocal observed
            if message["type"] == "http.response.start" and not observed:
                observed = True
                self.metrics.ack_seconds.labels(platform).observe(time.perf_counter() - started)
            await send(message)

        await self.app(scope, receive, timed_send)


def add_metrics(app: Any, metrics: Metrics) -> None:
    """Serve `/metrics` and time the acknowledgements of `app`."""
    app.include_router(metrics_router())
    app.add_middleware(AckTimer, metrics=metrics)
