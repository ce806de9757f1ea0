"""Nightly retraining: the win-probability and lead models and the action multipliers, once a night.

The scheduler asks every minute; from `DEALBOT_RETRAIN_HOUR_UTC` on, the first replica to claim
the idempotency key `retrain:{UTC date}` trains, and every other replica (and every later minute
that day) finds the key taken and does nothing. A replica that stops mid-training leaves the key
claimed: that night is skipped and the next night retrains. A missed hour (the app was down) is
made up later the same UTC day. New model versions go live only through the promotion gate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.services import Services
from core.action_effects import ActionEffects
from core.ports import Clock
from handlers.learning_loop import learn_action_effects
from handlers.models import TrainReport, train_models

log = logging.getLogger("dealbot.retrain")

RETRAIN_KEY = "retrain"


@dataclass(frozen=True, slots=True)
class Retrained:
    report: TrainReport
    effects_version: int
    effects: ActionEffects


def retrain(services: Services, clock: Clock | None = None) -> Retrained:
    """Train both models (each promoted only if not worse) and re-estimate the multipliers."""
    from bot.learning.model import load_model  # scikit-learn loads only when training
    from bot.learning.trainer import SklearnTrainer

    clock = clock or services.clock
    pipeline = services.settings.pipeline
    report = train_models(
        services.uow_factory, SklearnTrainer(), clock, model_loader=load_model, pipeline=pipeline
    )
    version, effects = learn_action_effects(services.uow_factory, clock, pipeline=pipeline)
    return Retrained(report, version, effects)


def retrain_key(at: datetime) -> str:
    return f"{RETRAIN_KEY}:{at.date().isoformat()}"


def claim_nightly_retrain(services: Services, at: datetime) -> bool:
    """True for the one replica that may retrain tonight (from the configured hour, UTC)."""
    if at.hour < services.settings.retrain_hour_utc:
        return False
    with services.uow_factory() as uow:
        claimed = uow.idempotency.claim(retrain_key(at), at=at)
        uow.commit()
    return claimed


def run_nightly_retrain(services: Services, clock: Clock) -> Retrained | None:
    """Retrain when tonight's key is ours; None when it is not time or another replica has it."""
    at = clock.now()
    if not claim_nightly_retrain(services, at):
        return None
    done = retrain(services, clock)
    for line in done.report.lines():
        log.info("retrain: %s", line)
    return done
