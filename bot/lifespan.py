"""Everything that runs beside the HTTP server, started and stopped with the app."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI

from bot.delivery.email import EmailMessenger
from bot.delivery.wiring import build_delivery_worker
from bot.drafting.worker import drafting_lifespan
from bot.emulator.wiring import emulator_lifespan
from bot.scheduler import digest_clock_lifespan
from bot.services import Services
from bot.slack.render import render_message
from bot.teams.app import build_teams_messenger

log = logging.getLogger(__name__)


@asynccontextmanager
async def app_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The digest clock, the delivery and drafting workers and, with SLACK_APP_TOKEN, Socket Mode."""
    services: Services = app.state.services
    try:
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(digest_clock_lifespan(app))
            await stack.enter_async_context(socket_mode_lifespan(app))
            await stack.enter_async_context(delivery_lifespan(app))
            await stack.enter_async_context(emulator_lifespan(app))
            await stack.enter_async_context(drafting_lifespan(app))
            yield
    finally:
        services.stop()


@asynccontextmanager
async def delivery_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The outbox's delivery worker, for every platform with credentials."""
    services: Services = app.state.services
    if not services.settings.delivery_enabled:
        yield
        return
    worker = build_delivery_worker(
        services.settings,
        services.engine,
        slack_render=render_message,
        teams=build_teams_messenger(services),
        email=build_email_messenger(services),
        metrics=services.metrics,
    )
    if worker is None:
        yield
        return
    app.state.delivery_worker = worker
    worker.start()
    services.wake_delivery = worker.wake
    try:
        yield
    finally:
        services.wake_delivery = _nothing
        await worker.stop()


def build_email_messenger(services: Services) -> EmailMessenger | None:
    """Approved follow-ups by SMTP when it is configured; None leaves them to the rep to copy."""
    sender, from_address = services.email_sender, services.settings.smtp_from
    if sender is None or from_address is None:
        return None
    return EmailMessenger(sender, from_address, services.deps("email"))


@asynccontextmanager
async def socket_mode_lifespan(app: FastAPI) -> AsyncIterator[None]:
    services: Services = app.state.services
    slack = getattr(app.state, "slack", None)
    token = services.settings.slack_app_token
    if slack is None or token is None:
        yield
        return
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    handler = AsyncSocketModeHandler(slack, token.get_secret_value())
    await handler.connect_async()
    log.info("Slack Socket Mode connected")
    try:
        yield
    finally:
        await handler.close_async()


def _nothing() -> None:
    """No worker in this process: the rows wait for one."""
