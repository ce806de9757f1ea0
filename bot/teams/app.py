"""The Teams bot: botbuilder's CloudAdapter behind `POST /api/messages` in the FastAPI app.

Every request is authenticated by botbuilder before anything else reads the activity. A missing,
malformed, expired, unsigned or foreign token is a 401, whatever botbuilder raises for it (a
`PermissionError`, a `jwt` error for a token that is not a JWT, a failure to fetch the signing
keys). Without an app id the route exists only with `DEALBOT_TEAMS_DEV_NO_AUTH=true` outside
production, and then checks nothing: that is for the Bot Framework Emulator on a laptop.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes
from botframework.connector.auth import BotFrameworkAuthentication
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from bot.services import Services
from bot.teams.adapter import bot_authentication, build_adapter
from bot.teams.listeners import TeamsListeners
from bot.teams.messenger import TeamsMessenger
from bot.teams.redelivery import Deliveries
from bot.teams.replies import message_response, respond_to_invoke, text_activity

log = logging.getLogger(__name__)

MESSAGES_PATH = "/api/messages"
TROUBLE = (
    "dealbot hit a problem answering this and may not have finished it. Try again in a minute; "
    "if it keeps happening, tell your admin."
)


@dataclass
class TeamsBot:
    authentication: BotFrameworkAuthentication
    adapter: CloudAdapter
    listeners: TeamsListeners
    check_tokens: bool
    deliveries: Deliveries

    async def handle(self, body: bytes, authorization: str | None) -> tuple[int, Any]:
        """(HTTP status, JSON body or None) for one POST from the Bot Connector."""
        activity = _activity(body)
        if activity is None:
            return 400, {"error": "the body is not a Bot Framework activity"}
        header = authorization if self.check_tokens else None
        try:
            # In a thread: botbuilder fetches the signing keys (daily) with a blocking
            # `requests.get` and no timeout, which would stall every other request meanwhile.
            checking = self.authentication.authenticate_request(activity, header)
            checked = await asyncio.to_thread(asyncio.run, checking)
        except Exception as error:  # every way a token can be wrong is a refusal, never a 500
            log.warning("Teams request refused: %s", type(error).__name__)
            return 401, {"error": "unauthorized"}
        if not await self.deliveries.first(activity):
            return await self.deliveries.earlier_answer(activity)
        answer = await self.adapter.process_activity(checked, activity, self.listeners.on_turn)
        if answer is None:
            return 200, None
        await self.deliveries.keep_answer(activity, int(answer.status), answer.body)
        return int(answer.status), answer.body


def build_teams(services: Services) -> TeamsBot | None:
    """The Teams bot for these settings, or None when Teams is not configured."""
    settings = services.settings
    if not settings.teams_enabled:
        return None
    authentication = bot_authentication(settings, services.teams_token_source)
    adapter = build_adapter(authentication)
    adapter.on_turn_error = _on_turn_error
    check = not settings.teams_dev_no_auth
    listeners = TeamsListeners(services)
    return TeamsBot(authentication, adapter, listeners, check, Deliveries(services))


def build_teams_messenger(services: Services) -> TeamsMessenger | None:
    """The outbox's way to Teams, for any process that delivers (the app, a worker process);
    None when Teams is not configured."""
    settings = services.settings
    if not settings.teams_enabled:
        return None
    return TeamsMessenger(
        bot_authentication(settings, services.teams_token_source),
        app_id=settings.teams_app_id or "",
        uow_factory=services.uow_factory,
        clock=services.clock,
    )


def mount_teams(api: FastAPI, teams: TeamsBot) -> None:
    @api.post(MESSAGES_PATH, include_in_schema=False)
    async def teams_messages(request: Request) -> Response:
        status, body = await teams.handle(
            await request.body(), request.headers.get("Authorization")
        )
        if body is None:
            return Response(status_code=status)
        return JSONResponse(body, status_code=status)


def _activity(body: bytes) -> Activity | None:
    try:
        payload = json.loads(body or b"null")
    except ValueError:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        return None
    try:
        return Activity().deserialize(payload)
    except Exception:  # msrest raises its own errors for fields of the wrong shape
        return None


async def _on_turn_error(context: TurnContext, error: Exception) -> None:
    """A failure inside a turn (the connector refused a reply, a bug): log it, tell the person."""
    log.error("Teams turn failed", exc_info=error)
    try:
        if context.activity.type == ActivityTypes.invoke:
            await respond_to_invoke(context, message_response(TROUBLE))
        else:
            await context.send_activity(text_activity(TROUBLE))
    except Exception:  # the connector itself is what failed; the log line above says it
        log.warning("could not tell the person about the failure")
