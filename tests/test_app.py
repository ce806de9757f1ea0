"""The web app over real HTTP: health checks on each database, and a down database is a 503."""

from __future__ import annotations

import logging

import httpx
import pytest

from bot.app import create_app
from bot.services import build_services
from bot.settings import load_settings
from bot.slack.app import build_slack_app
from tests.live_server import free_port, serving
from tests.slack_world import SECRET, TOKEN


def test_healthz_reports_ok_on_each_database(database_url: str) -> None:
    app = create_app(load_settings(database_url=database_url))
    with serving(app) as base:
        response = httpx.get(f"{base}/healthz", timeout=10)
    app.state.services.close()
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_says_degraded_when_the_database_is_down() -> None:
    dead = f"postgresql://nobody@127.0.0.1:{free_port()}/none?connect_timeout=2"
    app = create_app(load_settings(database_url=dead))
    with serving(app) as base:
        response = httpx.get(f"{base}/healthz", timeout=10)
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "database": "unreachable"}


def test_openapi_page_is_served() -> None:
    app = create_app(load_settings(database_url="sqlite://"))
    with serving(app) as base:
        assert httpx.get(f"{base}/docs", timeout=10).status_code == 200
        assert "/healthz" in httpx.get(f"{base}/openapi.json", timeout=10).json()["paths"]


def test_the_slack_app_starts_without_warnings_when_the_token_is_in_the_environment(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    api_url = f"http://127.0.0.1:{free_port()}/api/"
    services = build_services(load_settings(database_url="sqlite://", slack_api_url=api_url))
    try:
        with caplog.at_level(logging.INFO):
            slack = build_slack_app(services)
    finally:
        services.close()
    assert slack is not None
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert (slack.client.token, slack.client.base_url) == (TOKEN, api_url)
