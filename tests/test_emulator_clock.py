"""The emulator's clock across a restart of a development server that keeps its database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.emulator.clock import EmulatedClock
from bot.services import build_services
from bot.settings import Settings
from storage.emulator import EmulatorTranscript
from storage.migrate import upgrade


def _settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, mode="development")


def _restarted_now(settings: Settings, message_at: datetime | None) -> datetime:
    """Run the emulator once (a message in a rep's thread at `message_at`), then start afresh."""
    first = build_services(settings, clock=EmulatedClock(message_at))
    try:
        assert first.settings.emulator_enabled
        if message_at is not None:
            EmulatorTranscript(first.engine).post("rep:1", {"typed": "/deals"}, at=message_at)
    finally:
        first.close()
    again = build_services(settings)
    try:
        return again.clock.now()
    finally:
        again.close()


def test_a_restart_carries_on_from_the_newest_emulated_moment(database_url: str) -> None:
    upgrade(database_url)
    ahead = datetime.now(UTC) + timedelta(days=3)  # the clock was moved on before the restart
    assert _restarted_now(_settings(database_url), ahead) >= ahead


def test_a_restart_after_older_moments_starts_at_real_time(database_url: str) -> None:
    upgrade(database_url)
    before = datetime.now(UTC)
    assert _restarted_now(_settings(database_url), before - timedelta(days=2)) >= before


@pytest.mark.parametrize("migrated", [True, False])
def test_an_empty_or_new_database_starts_at_real_time(database_url: str, migrated: bool) -> None:
    if migrated:
        upgrade(database_url)
    before = datetime.now(UTC)
    services = build_services(_settings(database_url))
    try:
        assert before <= services.clock.now() < before + timedelta(days=1)
    finally:
        services.close()
