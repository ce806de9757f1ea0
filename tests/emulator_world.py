"""A seeded demo team on a SQLite file, with the emulator's clock at a working Tuesday afternoon."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.emulator.clock import EmulatedClock
from bot.services import Services, build_services
from bot.settings import Settings
from handlers.seed import seed_demo
from storage.migrate import upgrade

START = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
"""A Tuesday afternoon (UTC): the demo's American and European reps are at work."""


def demo_world(folder: Path, **settings: Any) -> tuple[Settings, Services]:
    """Settings (mode demo unless given) and services on a fresh seeded database in `folder`."""
    url = f"sqlite:///{folder / 'demo.db'}"
    upgrade(url)
    chosen = Settings(**{"database_url": url, "mode": "demo", **settings})
    services = build_services(chosen, clock=EmulatedClock(START))
    seed_demo(services.uow_factory, seed=7, now=services.clock.now())
    return chosen, services


def token_of(page: str) -> str:
    """The page token a served page carries in its meta tag."""
    found = re.search(r'name="dealbot-page-token" content="([^"]+)"', page)
    assert found
    return found.group(1)


def transcript_size(services: Services) -> int:
    with services.engine.connect() as conn:
        return int(conn.exec_driver_sql("select count(*) from emulator_message").scalar_one())
