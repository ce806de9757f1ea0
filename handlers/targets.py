"""Where a proactive message for a rep or a team goes: which platform, which user or channel.

Every outbox row names a platform and a target. These two functions are the one place that
decides them, so the digest, hot-lead alerts and SLA reminders reach a person the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.model import Rep, Team

SLACK = "slack"


@dataclass(frozen=True, slots=True)
class Target:
    platform: str
    target: str
    """A Slack user or channel id, or `email:<address>` for the messenger to look up."""


def dm_target(rep: Rep) -> Target:
    """A direct message to the rep: their Slack id when known, else their email to look up."""
    return Target(SLACK, rep.slack_user_id or f"email:{rep.email}")


def channel_target(team: Team | None) -> Target | None:
    """The team's alert channel; None when the team has none set."""
    if team is None or not team.alert_channel:
        return None
    return Target(SLACK, team.alert_channel)
