"""Where a proactive message for a rep or a team goes: which platform, which user or channel.

Every outbox row names a platform and a target. These two functions are the one place that
decides them, so the digest, hot-lead alerts and SLA reminders reach a person the same way.

A rep is reached on Slack when their Slack user is known, else on Microsoft Teams when their
Teams user (Microsoft Entra object id) is known, else by their email on Slack. A team's alerts go
to its Teams channel when one is set, else to its Slack channel. Teams targets are keys of
stored conversation references (`user:<object id>`, `channel:<channel id>`): the Teams sender
looks them up, since a Teams message needs the service URL and conversation saved at install.

A process that runs the local emulator instead of Slack and Teams sends everything there
(`Destinations(emulator=True)`): a rep's thread is `rep:<id>`, a team's channel `team:<id>`.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.model import Rep, Team

SLACK = "slack"
TEAMS = "teams"
EMULATOR = "emulator"
EMULATOR_REP = "rep:"
EMULATOR_TEAM = "team:"
TEAMS_USER = "user:"
TEAMS_CHANNEL = "channel:"


@dataclass(frozen=True, slots=True)
class Target:
    platform: str
    target: str
    """A Slack user or channel id, `email:<address>` for the messenger to look up, or a Teams
    conversation key."""


def dm_target(rep: Rep) -> Target:
    """A direct message to the rep: Slack id, else Teams user, else their email on Slack."""
    if rep.slack_user_id:
        return Target(SLACK, rep.slack_user_id)
    if rep.teams_user_id:
        return Target(TEAMS, teams_user_key(rep.teams_user_id))
    return Target(SLACK, f"email:{rep.email}")


def channel_target(team: Team | None) -> Target | None:
    """The team's alert channel (Teams first when set); None when the team has none set."""
    if team is None:
        return None
    if team.teams_channel:
        return Target(TEAMS, teams_channel_key(team.teams_channel))
    if team.alert_channel:
        return Target(SLACK, team.alert_channel)
    return None


def teams_user_key(object_id: str) -> str:
    """The conversation key of a person's chat with the bot, by their Entra object id."""
    return TEAMS_USER + object_id


def teams_channel_key(channel_id: str) -> str:
    return TEAMS_CHANNEL + channel_id


@dataclass(frozen=True, slots=True)
class Destinations:
    """Where this process's proactive messages go: each person's chat platform, or the emulator."""

    emulator: bool = False

    def dm(self, rep: Rep) -> Target:
        if self.emulator:
            return Target(EMULATOR, f"{EMULATOR_REP}{rep.id}")
        return dm_target(rep)

    def channel(self, team: Team | None) -> Target | None:
        if self.emulator and team is not None:
            return Target(EMULATOR, f"{EMULATOR_TEAM}{team.id}")
        return channel_target(team)
