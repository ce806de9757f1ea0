"""`dealbot teams package`, `dealbot teams channels` and `dealbot teams alerts`.

The package is what an admin uploads to Teams. Channels are where dealbot has been added to a
team; a sales team's alerts (hot leads, SLA breaches) go to one of them once `alerts` says so.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bot.cli import CliError, app, console, settings_from
from bot.services import Services, build_services
from bot.teams.package import PackageError, write_package

teams_app = typer.Typer(
    help="Microsoft Teams: the app package and alert channels.", no_args_is_help=True
)
app.add_typer(teams_app, name="teams")


@teams_app.command("package")
def package(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="Where to write the zip.")] = Path("dealbot-teams.zip"),
    app_id: Annotated[
        str | None, typer.Option(help="The bot's Microsoft App ID; default DEALBOT_TEAMS_APP_ID.")
    ] = None,
) -> None:
    """Write the Teams app package (manifest with the bot's app id, and the icons) to upload."""
    chosen = app_id or settings_from(ctx).teams_app_id
    if not chosen:
        raise CliError(
            "set DEALBOT_TEAMS_APP_ID (or pass --app-id): the manifest names the bot by it"
        )
    try:
        written = write_package(out, chosen)
    except PackageError as error:
        raise CliError(str(error)) from None
    console.print(
        f"Wrote {written}. In Teams: Apps, Manage your apps, Upload an app (or your admin "
        "uploads it in the Teams admin center).",
        highlight=False,
    )


def _services(ctx: typer.Context) -> Services:
    from storage.migrate import upgrade

    settings = settings_from(ctx)
    upgrade(settings.database_url)
    return build_services(settings)


@teams_app.command("channels")
def channels(ctx: typer.Context) -> None:
    """The Teams channels dealbot was added to, and which sales team's alerts go to each."""
    services = _services(ctx)
    with services.uow_factory() as uow:
        found = uow.teams_conversations.channels()
        teams = uow.teams.list()
    table = Table("Teams team", "channel", "channel id", "alerts of")
    for channel in found:
        channel_id = channel.key.removeprefix("channel:")
        alerting = ", ".join(t.name for t in teams if t.teams_channel == channel_id)
        table.add_row(channel.team_name or "?", channel.channel_name or "?", channel_id, alerting)
    console.print(table)
    if not found:
        console.print("dealbot is in no Teams channel yet: add the app to a team first.")


@teams_app.command("alerts")
def alerts(
    ctx: typer.Context,
    team: Annotated[str, typer.Argument(help="The dealbot team (see `dealbot reps`).")],
    channel: Annotated[
        str | None, typer.Argument(help="A channel id from `dealbot teams channels`.")
    ] = None,
    off: Annotated[
        bool, typer.Option("--off", help="Stop sending this team's alerts to Teams.")
    ] = False,
) -> None:
    """Send a sales team's alerts to a Teams channel dealbot is in (or, with --off, stop)."""
    if (channel is None) != off:
        raise CliError("name a channel id (see `dealbot teams channels`), or pass --off")
    services = _services(ctx)
    with services.uow_factory() as uow:
        chosen = next((t for t in uow.teams.list() if t.name.lower() == team.strip().lower()), None)
        if chosen is None:
            names = ", ".join(t.name for t in uow.teams.list()) or "none yet"
            raise CliError(f"no team named '{team}' (teams: {names})")
        if channel is not None and uow.teams_conversations.get(f"channel:{channel}") is None:
            raise CliError(
                f"dealbot is not in a channel with id '{channel}'; see `dealbot teams channels`"
            )
        uow.teams.update(dataclasses.replace(chosen, teams_channel=channel))
        uow.commit()
    where = f"Teams channel {channel}" if channel else "its Slack channel (or nowhere)"
    console.print(f"{chosen.name}'s alerts now go to {where}.", highlight=False)
