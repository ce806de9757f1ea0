"""The Slack app: bolt's async app, its Web API client, and its place in the FastAPI app.

Slash commands, buttons, modals and events all arrive at `/slack/events`; bolt checks the
signature and the timestamp before anything reads the body. With `SLACK_APP_TOKEN` set, the same
app also connects over Socket Mode, for development without a public URL.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import FastAPI, Request, Response
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.services import Services
from bot.slack.listeners import SlackListeners

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


def build_slack_app(services: Services) -> AsyncApp | None:
    """The bolt app for these settings, or None when no Slack token is configured."""
    settings = services.settings
    if settings.slack_bot_token is None or settings.slack_signing_secret is None:
        return None
    # The token goes to bolt itself, which builds its client from it. Given a client instead, bolt
    # still reads SLACK_BOT_TOKEN from the environment and warns that one of the two is unused.
    app = AsyncApp(
        token=settings.slack_bot_token.get_secret_value(),
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        process_before_response=False,
        logger=logging.getLogger("dealbot.slack.bolt"),
    )
    # Every request's client is a copy of this one, so the API address set here holds for all.
    app.client.base_url = settings.slack_api_url
    app.middleware(_dedupe_events(services))
    SlackListeners(services).register(app)
    return app


def mount_slack(api: FastAPI, slack: AsyncApp) -> None:
    """`POST /slack/events`. Requests nobody listens for (other apps' events, shortcuts we do not
    offer) are acknowledged with 200, so Slack does not retry them or show an error."""
    handler = AsyncSlackRequestHandler(slack)

    @api.post(EVENTS_PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        response: Response = await handler.handle(request)
        if response.status_code == 404:
            return Response(status_code=200)
        return response


def _dedupe_events(services: Services) -> Any:
    """Slack retries an event it thinks we missed (`X-Slack-Retry-Num`); run each `event_id` once."""

    async def dedupe(body: dict[str, Any], next: Any) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not await _first_delivery(services, str(event_id)):
            return BoltResponse(status=200, body="")
        await next()
        return None

    return dedupe


async def _first_delivery(services: Services, event_id: str) -> bool:
    def claim() -> bool:
        with services.uow_factory() as uow:
            first = uow.idempotency.claim(f"slack-event:{event_id}", at=services.clock.now())
            uow.commit()
            return first

    return await asyncio.to_thread(claim)
