"""`dealbot report ...`: reports for managers, as tables or JSON. `report sla`: response times;
`report roi`: what the actions from the feed led to."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from bot.cli import CliError, app, console, settings_from
from core.messages import Message
from core.sla import describe_duration
from core.sla_report import LeadResponse, ResponseStats, SlaReport

report_app = typer.Typer(
    help="Reports: response times of leads, what the actions led to.", no_args_is_help=True
)
app.add_typer(report_app, name="report")


@report_app.command("sla")
def report_sla(
    ctx: typer.Context,
    days: Annotated[
        int, typer.Option(min=1, max=366, help="Leads whose clock started in the last N days.")
    ] = 7,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (durations in seconds) instead of tables.")
    ] = False,
) -> None:
    """Time to first touch (median, p90), breaches and waiting leads per rep, team and week."""
    from bot.services import build_services
    from handlers.sla_report import sla_report
    from storage.migrate import upgrade

    settings = settings_from(ctx)
    upgrade(settings.database_url)
    services = build_services(settings)
    try:
        until = services.clock.now()
        report = sla_report(services.uow_factory, since=until - timedelta(days=days), until=until)
    finally:
        services.close()
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
        return
    print_sla_report(report)


def print_sla_report(report: SlaReport) -> None:
    """The report as tables: a summary line, per rep, per team, per week, then breached leads."""
    window = f"{_when(report.since)} to {_when(report.until)} UTC"
    if not report.leads:
        console.print(f"No response clocks started from {window}.")
        return
    overall = report.overall
    console.print(
        f"Response times, clocks started {window}: {overall.count} leads, "
        f"{overall.touched} touched (median {_duration(overall.median)}, "
        f"p90 {_duration(overall.p90)}), {overall.breaches} breached, {overall.waiting} waiting.",
        highlight=False,
        soft_wrap=True,
    )
    for title, column, groups in (
        ("By rep", "rep", report.by_rep),
        ("By team", "team", report.by_team),
        ("By week", "week (UTC)", report.by_week),
    ):
        console.print(_stats_table(title, column, groups))
    breached = report.breached
    if breached:
        console.print(_breached_table(breached))
    else:
        console.print("No breached leads.")


def _stats_table(title: str, column: str, groups: tuple[ResponseStats, ...]) -> Table:
    table = Table(column, "leads", "touched", "median", "p90", "breached", "waiting", title=title)
    for group in groups:
        table.add_row(
            escape(group.label),
            str(group.count),
            str(group.touched),
            _duration(group.median),
            _duration(group.p90),
            str(group.breaches),
            str(group.waiting),
        )
    return table


def _breached_table(leads: tuple[LeadResponse, ...]) -> Table:
    table = Table(
        "lead", "company", "tier", "owner", "team", "arrived (UTC)", "first touch", title="Breached"
    )
    for lead in leads:
        touch = lead.time_to_first_touch
        table.add_row(
            str(lead.lead_id),
            escape(lead.company or "-"),
            lead.tier or "-",
            escape(lead.owner),
            escape(lead.team),
            _when(lead.started_at),
            f"after {_duration(touch)}"
            if touch is not None
            else ("waiting" if lead.waiting else "never (closed)"),
        )
    return table


def _duration(span: timedelta | None) -> str:
    return "-" if span is None else describe_duration(span)


def _when(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M}"


@report_app.command("roi")
def report_roi(
    ctx: typer.Context,
    weeks: Annotated[
        int, typer.Option(min=1, max=52, help="The last N weeks, against the N weeks before.")
    ] = 1,
    manager: Annotated[
        str | None, typer.Option(help="A manager's email: their team only.", show_default=False)
    ] = None,
    team: Annotated[
        str | None, typer.Option(help="A sales team's name: that team only.", show_default=False)
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (durations in seconds) instead of text.")
    ] = False,
) -> None:
    """Actions done, deals that moved within 14 days and their amounts per currency, drafts
    decided and the median time to first touch per week; everyone unless --manager or --team."""
    from bot.services import build_services
    from core.roi_message import roi_message
    from handlers.errors import UserError
    from handlers.roi_report import roi_report_from
    from storage.migrate import upgrade

    settings = settings_from(ctx)
    upgrade(settings.database_url)
    services = build_services(settings)
    try:
        with services.uow_factory() as uow:
            manager_id, team_id = _who(uow, manager, team)
        report = roi_report_from(
            services.uow_factory,
            manager_id=manager_id,
            team_id=team_id,
            now=services.clock.now(),
            weeks=weeks,
            pipeline=settings.pipeline,
        )
    except UserError as error:
        raise CliError(str(error)) from None
    finally:
        services.close()
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
        return
    print_message(roi_message(report))


def _who(uow: Any, manager: str | None, team: str | None) -> tuple[int | None, int | None]:
    """Ids for the --manager email and the --team name; an unknown one is a one-line error."""
    manager_id = team_id = None
    if manager is not None:
        rep = uow.reps.by_email(manager.strip().lower())
        if rep is None:
            raise CliError(f"no rep with the email {manager}; `dealbot reps` lists them")
        manager_id = rep.id
    if team is not None:
        found = [t for t in uow.teams.list() if t.name.casefold() == team.strip().casefold()]
        if not found:
            names = ", ".join(sorted(t.name for t in uow.teams.list())) or "none yet"
            raise CliError(f"no sales team named {team}; teams: {names}")
        team_id = found[0].id
    return manager_id, team_id


def print_message(message: Message) -> None:
    """A neutral message as plain terminal text: title, sections with their fields, footer."""
    console.print(f"[bold]{escape(message.title or message.summary)}[/bold]")
    for section in message.sections:
        if section.heading:
            console.print(f"\n[bold]{escape(section.heading)}[/bold]")
        if section.text:
            console.print(escape(section.text), highlight=False, soft_wrap=True)
        for field in section.fields:
            value = escape(field.value).replace("\n", "\n  ")
            console.print(f"  {escape(field.label)}: {value}", highlight=False, soft_wrap=True)
    if message.footer:
        console.print(f"\n[dim]{escape(message.footer)}[/dim]", soft_wrap=True)
