"""Wiring: the engine, the unit-of-work factory, the clock and the forecaster for one process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from bot.drafting.wiring import build_email_sender
from bot.emulator.clock import EmulatedClock
from bot.forecast import ModelForecaster, load_forecaster
from bot.lead_desk_config import load_desk_policy
from bot.learning.model import LearnedModel
from bot.metrics import Metrics
from bot.settings import Settings
from core.ports import Clock, EmailSender
from core.stages import Pipeline
from handlers.deps import Deps
from handlers.directory import CachedDirectory
from handlers.lead_desk import DeskDeps, DeskPolicy, LeadFit
from handlers.load_ledger import LoadLedger
from handlers.targets import Destinations
from storage.db import create_engine_for
from storage.emulator import latest_recorded_time
from storage.lead_touches import first_touches
from storage.uow import UnitOfWorkFactory

MODEL_CHECK_SECONDS = 60.0
DIRECTORY_SECONDS = 5.0
"""How old the copy of the rep directory used to route leads may be."""
LOAD_RECOUNT_SECONDS = 2.0
"""How often the rep loads are counted from the whole history (rows added since are read each
time); also how far the fairness window may slide between two counts."""
PAGE_SIZE_CAPS = {"teams": 5}
"""Items a list page may hold on a surface. A Teams message is at most about 28 KB, and an item
with its buttons and choices takes about 2.6 KB of Adaptive Card: five a page leave room."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class CurrentForecaster:
    """The newest trained models, reloaded at most once a minute so a retrain takes effect
    without a restart, and never per request (loading a model takes a while)."""

    def __init__(self, uow_factory: UnitOfWorkFactory, pipeline: Pipeline) -> None:
        self.uow_factory, self.pipeline = uow_factory, pipeline
        self._lock = threading.Lock()
        self._loaded: ModelForecaster | None = None
        self._versions: tuple[int | None, int | None] = (None, None)
        self._checked = 0.0

    def __call__(self) -> ModelForecaster:
        with self._lock:
            if self._loaded is None or time.monotonic() - self._checked > MODEL_CHECK_SECONDS:
                versions = self._latest_versions()
                if self._loaded is None or versions != self._versions:
                    self._loaded = load_forecaster(self.uow_factory, self.pipeline)
                    self._versions = versions
                self._checked = time.monotonic()
            return self._loaded

    def _latest_versions(self) -> tuple[int | None, int | None]:
        with self.uow_factory() as uow:
            deal, lead = uow.model_versions.latest("deal"), uow.model_versions.latest("lead")
        return (deal[0] if deal else None, lead[0] if lead else None)


@dataclass
class Services:
    settings: Settings
    engine: Engine
    uow_factory: UnitOfWorkFactory
    clock: Clock
    """The system clock, or the emulator's (`EmulatedClock`) when the emulator runs."""
    forecaster: CurrentForecaster = field(init=False)
    desk_policy: DeskPolicy = field(default_factory=DeskPolicy)
    """Scoring, routing, SLA and alert policies (the lead desk configuration file, or defaults)."""
    wake_delivery: Callable[[], None] = field(default=lambda: None)
    """Tells this process's delivery worker to look at the outbox now (set when it starts)."""
    closers: list[Callable[[], None]] = field(default_factory=list)
    """Things to stop with the app (worker pools); `stop()` runs them."""
    teams_token_source: Callable[[str], str] | None = None
    """Bearer tokens by scope for calls to the Teams Bot Connector. None (always in production)
    gets them from Microsoft Entra ID with the app's secret; tests give a local stand-in."""

    directory: CachedDirectory = field(init=False)
    email_sender: EmailSender | None = field(init=False)
    """SMTP for approved follow-ups when configured; None records them for the rep to copy."""
    metrics: Metrics = field(init=False)
    """This process's Prometheus metrics (`/metrics`)."""

    def __post_init__(self) -> None:
        self.forecaster = CurrentForecaster(self.uow_factory, self.settings.pipeline)
        self.email_sender = build_email_sender(self.settings)
        ledger = LoadLedger(LOAD_RECOUNT_SECONDS, time.monotonic)
        self.directory = CachedDirectory(DIRECTORY_SECONDS, time.monotonic, ledger)
        self.metrics = Metrics(lambda since: first_touches(self.engine, since))

    def deps(self, surface: str) -> Deps:
        """What the chat handlers need, for commands arriving from `surface`."""
        return Deps(
            uow_factory=self.uow_factory,
            forecaster=self.forecaster,
            clock=self.clock,
            pipeline=self.settings.pipeline,
            page_size=min(self.settings.action_list_size, PAGE_SIZE_CAPS.get(surface, 50)),
            digest_size=self.settings.digest_size,
            surface=surface,
            desk=self.desk_policy,
            email_sender=self.email_sender,
        )

    def desk_deps(self, surface: str = "webhook") -> DeskDeps:
        """What the lead handlers need: intake, the SLA sweep."""
        return DeskDeps(
            uow_factory=self.uow_factory,
            clock=self.clock,
            policy=self.desk_policy,
            learned_fit=self.learned_lead_fit,
            surface=surface,
            directory=self.directory,
        )

    def learned_lead_fit(self) -> LeadFit | None:
        """The learned lead model's p(convert), or None while only base rates exist."""
        model = self.forecaster().lead_model
        if not isinstance(model, LearnedModel):
            return None
        return lambda facts: model.predict([facts])[0]

    def stop(self) -> None:
        """Stop what runs beside the app (worker pools); the engine stays usable."""
        while self.closers:
            self.closers.pop()()

    def close(self) -> None:
        self.stop()
        self.engine.dispose()


def resumed_emulated_clock(engine: Engine) -> EmulatedClock:
    """The emulator's clock, never behind what it recorded before a restart: a development
    server that keeps its database carries on from its newest moment when that is ahead of now."""
    clock = EmulatedClock()
    recorded = latest_recorded_time(engine)
    if recorded is not None:
        clock.jump_to(recorded)
    return clock


def build_services(settings: Settings, *, clock: Clock | None = None) -> Services:
    """The services of one process; a broken lead desk file stops here, before any engine.

    With the emulator on, the clock is the emulator's (from `clock`, or starting now) and every
    proactive message goes to the emulator instead of Slack or Teams.
    """
    desk_policy = load_desk_policy(settings.lead_desk_config)
    engine = create_engine_for(settings.database_url)
    if settings.emulator_enabled:
        clock = clock or resumed_emulated_clock(engine)
        desk_policy = replace(desk_policy, destinations=Destinations(emulator=True))
    return Services(
        settings, engine, UnitOfWorkFactory(engine), clock or SystemClock(), desk_policy=desk_policy
    )
