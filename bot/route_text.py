"""`dealbot route --explain` as a person reads it: the score, each rule's outcome, the pick, the pool.

Plain lines, never markup: lead names come from web forms and are printed as they are.
"""

from __future__ import annotations

from datetime import UTC, datetime

from core.routing import RepLoad
from handlers.route_explain import RouteExplanation


class Moment:
    """A clock stopped at one moment: explain a routing as of `--at`."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def route_lines(explanation: RouteExplanation) -> list[str]:
    """The explanation as a person reads it: the score, each rule's outcome, the pick, the pool."""
    lead, routing = explanation.lead, explanation.routing
    where = f" ({lead.company or lead.domain})" if lead.company or lead.domain else ""
    lines = [
        f"Lead #{lead.id} {lead.name}{where}, {lead.status}, "
        f"as of {explanation.at.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
        f"Score {explanation.score} ({explanation.tier})",
        *(f"  - {reason}" for reason in explanation.score_reasons),
        "Rules, in order:",
        *(f"  {step.rule}: {step.outcome}" for step in routing.steps),
        *(f"  {name}: not reached" for name in explanation.not_reached),
    ]
    if explanation.owner is not None:
        owner = explanation.owner
        lines.append(f"Owner: {owner.name} <{owner.email}>, by rule '{routing.rule}'")
    else:
        lines.append("Owner: nobody; the lead would wait in the queue")
    lines.append(f"Why: {routing.reason}")
    current = explanation.current_owner
    if current is not None and current.id != routing.owner_id:
        lines.append(f"Now owned by {current.name} (the loads below already count this lead)")
    lines.append("Eligible now, fairest first:" if explanation.eligible else "Eligible now: nobody")
    for rep in explanation.eligible:
        load = explanation.loads.get(rep.id or 0) or RepLoad()
        days = explanation.fairness_days
        lines.append(
            f"  {rep.name} <{rep.email}>: {load.today} today, {load.recent} in {days} days"
        )
    lines.append("Nothing was changed.")
    return lines
