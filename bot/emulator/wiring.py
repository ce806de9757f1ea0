"""Builds the emulator when the settings ask for it, and runs its delivery with the app."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bot.emulator.chat import EmulatorChat
from bot.emulator.clock import EmulatedClock
from bot.emulator.desk import EmulatorDesk
from bot.emulator.routes import Emulator
from bot.services import Services
from storage.emulator import EmulatorTranscript

log = logging.getLogger("dealbot.emulator")


def build_emulator(services: Services) -> Emulator | None:
    """The emulator, or None when the settings keep it off (production, Slack or Teams)."""
    if not services.settings.emulator_enabled:
        return None
    clock = services.clock
    if not isinstance(clock, EmulatedClock):
        raise TypeError("the emulator needs services built with its clock (build_services)")
    transcript = EmulatorTranscript(services.engine)
    desk = EmulatorDesk(services, clock, transcript)
    return Emulator(services, desk, EmulatorChat.build(services, transcript))


@asynccontextmanager
async def emulator_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The emulator's delivery worker in the background, and a first pass of the clock's jobs
    (digests whose morning has come) so the page is not empty on arrival."""
    emulator: Emulator | None = getattr(app.state, "emulator", None)
    if emulator is None or not emulator.services.settings.delivery_enabled:
        yield
        return
    services, worker = emulator.services, emulator.desk.worker
    worker.start()
    services.wake_delivery = worker.wake
    first = asyncio.get_running_loop().create_task(_first_pass(emulator))
    try:
        yield
    finally:
        first.cancel()
        services.wake_delivery = lambda: None
        await worker.stop()


async def _first_pass(emulator: Emulator) -> None:
    try:
        await emulator.desk.run_jobs()
    except Exception:  # the scheduler's next tick does the same; the page works meanwhile
        log.exception("the emulator's first digest pass failed")
