"""Builds the delivery worker from settings; the app starts it in its lifespan."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from sqlalchemy.engine import Engine

from bot.delivery.messenger import Messenger
from bot.delivery.slack import Renderer, SlackMessenger
from bot.delivery.worker import DeliveryPolicy, DeliveryWorker
from bot.metrics import Metrics
from bot.settings import Settings, lease_margin_seconds, send_timeout_seconds
from storage.delivery import OutboxQueue


def delivery_policy(settings: Settings) -> DeliveryPolicy:
    return DeliveryPolicy(
        rate_per_second=settings.delivery_rate_per_second,
        max_attempts=settings.delivery_max_attempts,
        poll_interval=settings.delivery_poll_seconds,
        lease=timedelta(seconds=settings.delivery_lease_seconds),
        lease_margin=timedelta(seconds=lease_margin_seconds(settings.delivery_lease_seconds)),
        backoff_base=settings.delivery_backoff_seconds,
    )


def send_timeout(settings: Settings) -> int:
    """Seconds a send may take: the lease margin is two of them plus clock skew (see
    `bot.settings.lease_margin_seconds`), so a slow send never outlives its claim."""
    return send_timeout_seconds(settings.delivery_lease_seconds)


def build_delivery_worker(
    settings: Settings,
    engine: Engine,
    *,
    slack_render: Renderer,
    teams: Messenger | None = None,
    email: Messenger | None = None,
    metrics: Metrics | None = None,
) -> DeliveryWorker | None:
    """A worker for every platform with credentials; None when there is none (e.g. the demo).

    `slack_render` turns a neutral message into (fallback text, blocks): the Slack renderer.
    `teams` is the Teams messenger when Teams is configured (`bot.teams.app`); `email` sends
    approved follow-ups when SMTP is configured (`bot.delivery.email`).
    """
    messengers: dict[str, Messenger] = {}
    if settings.slack_bot_token is not None:
        messengers["slack"] = SlackMessenger(
            token=settings.slack_bot_token.get_secret_value(),
            base_url=settings.slack_api_url,
            render=slack_render,
            timeout_seconds=send_timeout(settings),
        )
    if teams is not None:
        messengers["teams"] = teams
    if email is not None:
        messengers["email"] = email
    if not messengers:
        return None
    name = f"{socket.gethostname()}:{os.getpid()}"
    policy = delivery_policy(settings)
    return DeliveryWorker(OutboxQueue(engine), messengers, policy, name=name, metrics=metrics)
