"""Who may see and change what: a rep their own, a manager also their team's, an admin all."""

from __future__ import annotations

from collections.abc import Sequence

from core.model import Rep, Role


def can_act_for(actor: Rep, owner: Rep | None) -> bool:
    """True when `actor` may see and change what `owner` owns (an unowned item: managers only)."""
    if actor.role is Role.ADMIN:
        return True
    if owner is None:
        return actor.role is Role.MANAGER
    if owner.id == actor.id:
        return True
    return actor.role is Role.MANAGER and _manages(actor, owner)


def team_of(actor: Rep, reps: Sequence[Rep]) -> list[Rep]:
    """The reps whose lists `actor` may see: themselves and, for a manager, their team."""
    return [rep for rep in reps if can_act_for(actor, rep)]


def _manages(manager: Rep, rep: Rep) -> bool:
    if rep.manager_id is not None and rep.manager_id == manager.id:
        return True
    return manager.team_id is not None and rep.team_id == manager.team_id
