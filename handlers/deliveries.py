"""Webhook deliveries stored several to a transaction when they arrive faster than one at a time.

Every lead's transaction holds SQLite's one writer from its first statement to its commit, and
a transaction has costs of its own beside its statements: beginning, committing (the WAL
write), reading the desk. When deliveries wait for their turn, those waiting are taken
together: each is handled exactly as alone (its key claimed first, a repeat in the same group
answered as a repeat), in the order they came, and all commit at once. Nobody waits for a
group to fill: a group is whatever was waiting when the turn came.

If any delivery of a group fails, the whole transaction is rolled back, and the caller can
store each again in a transaction of its own (`receive_each`), so that only the failing one
fails and nothing half-written of the others stays behind.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.intake import LeadSubmission, SignalEvent
from core.ports import UnitOfWork
from handlers.directory import Desk
from handlers.intake import IntakeResult, take_lead
from handlers.lead_desk import DeskDeps, committed
from handlers.signals import SignalsResult, take_signals


@dataclass(frozen=True, slots=True)
class LeadDelivery:
    submission: LeadSubmission
    key: str


@dataclass(frozen=True, slots=True)
class SignalsDelivery:
    events: tuple[SignalEvent, ...]
    key: str


Delivery = LeadDelivery | SignalsDelivery
Received = IntakeResult | SignalsResult


def receive_together(deliveries: Sequence[Delivery], deps: DeskDeps) -> list[Received]:
    """Each delivery's result, in the order given, all committed at once; on any failure
    nothing is written and the failure is raised (see `receive_each`)."""
    with deps.uow_factory() as uow:
        desk_of = functools.cache(lambda: deps.directory(uow))
        results = [_take(uow, deps, desk_of, delivery) for delivery in deliveries]
        uow.commit()
    return results


def receive_each(deliveries: Sequence[Delivery], deps: DeskDeps) -> list[Received | Exception]:
    """Each delivery in a transaction of its own: its result, or the exception that stopped it."""
    return [_alone(delivery, deps) for delivery in deliveries]


def _alone(delivery: Delivery, deps: DeskDeps) -> Received | Exception:
    try:
        return committed(deps, _take, delivery)
    except Exception as error:
        return error


def _take(
    uow: UnitOfWork, deps: DeskDeps, desk_of: Callable[[], Desk], delivery: Delivery
) -> Received:
    if isinstance(delivery, LeadDelivery):
        return take_lead(uow, deps, desk_of, delivery.submission, delivery.key)
    return take_signals(uow, deps, desk_of, delivery.events, delivery.key)
