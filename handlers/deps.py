"""What every chat handler needs, built once by `bot/` and passed in; and what it hands back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from core.messages import Choice, Form, Message
from core.ports import Clock, EmailSender, Forecaster, UnitOfWork
from core.stages import Pipeline
from handlers.lead_desk import DeskPolicy


@dataclass(frozen=True, slots=True)
class Deps:
    uow_factory: Callable[[], UnitOfWork]
    forecaster: Callable[[], Forecaster]
    """The current models; a callable because a retrain swaps them while the app runs."""
    clock: Clock
    pipeline: Pipeline
    page_size: int = 10
    digest_size: int = 7
    surface: str = "chat"
    """Where commands come from (slack, teams, emulator), stored on what they record."""
    desk: DeskPolicy = field(default_factory=DeskPolicy)
    """Scoring, routing and SLA policies, for the buttons on lead alerts."""
    email_sender: EmailSender | None = None
    """Sends approved follow-ups (SMTP); None: they are recorded for the rep to copy and send."""


@dataclass(frozen=True, slots=True)
class Reply:
    """A handler's answer. `replace` means: show `message` in place of the one pressed."""

    message: Message | None = None
    form: Form | None = None
    choices: tuple[Choice, ...] = ()
    replace: bool = False
    changed_reps: tuple[int, ...] = ()
    """Reps whose lists changed, so surfaces can refresh what they show (e.g. the Home tab)."""
