"""Wiring: the engine, the unit-of-work factory, the clock and the forecaster for one process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from bot.settings import Settings
from storage.db import create_engine_for
from storage.uow import UnitOfWorkFactory


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    engine: Engine
    uow_factory: UnitOfWorkFactory
    clock: SystemClock

    def close(self) -> None:
        self.engine.dispose()


def build_services(settings: Settings) -> Services:
    engine = create_engine_for(settings.database_url)
    return Services(settings, engine, UnitOfWorkFactory(engine), SystemClock())
