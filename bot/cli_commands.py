"""The everyday commands: seed, reps, digest, route, serve and demo."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bot.cli import CliError, app, console, err_console, parse_when, settings_from
from bot.services import Services, build_services
from bot.settings import Settings

DEMO_DATABASE = "dealbot-demo.db"


def _services(ctx: typer.Context) -> Services:
    from storage.migrate import upgrade

    settings = settings_from(ctx)
    upgrade(settings.database_url)
    return build_services(settings)


@app.command()
def seed(
    ctx: typer.Context,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed writes the same team.")] = 7,
    now: Annotated[str | None, typer.Option(help="Pretend it is this moment (ISO).")] = None,
) -> None:
    """Write a believable demo team (reps, accounts, deals with history, leads) into the database."""
    from handlers.seed import seed_demo

    services = _services(ctx)
    summary = seed_demo(services.uow_factory, seed=seed, now=parse_when(now))
    console.print(f"Seeded: {summary.describe()}")


@app.command()
def reps(ctx: typer.Context) -> None:
    """List the reps, their roles and time zones."""
    services = _services(ctx)
    with services.uow_factory() as uow:
        everyone = uow.reps.list(active_only=False)
    table = Table("email", "name", "role", "time zone", "territories")
    for rep in everyone:
        table.add_row(
            rep.email, rep.name, rep.role.value, rep.time_zone, ", ".join(rep.territories)
        )
    console.print(table)


@app.command()
def digest(
    ctx: typer.Context,
    rep: Annotated[str, typer.Option("--rep", help="The rep's email.")],
    at: Annotated[
        str | None, typer.Option("--at", help="As of this moment (ISO); default now.")
    ] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, max=50, help="Items to show (DEALBOT_ACTION_LIST_SIZE).")
    ] = None,
) -> None:
    """Print a rep's ranked action list, reasons included."""
    from bot.forecast import load_forecaster
    from handlers.action_list import ranked_actions

    services = _services(ctx)
    forecaster = load_forecaster(services.uow_factory, services.settings.pipeline)
    result = ranked_actions(
        services.uow_factory,
        forecaster,
        rep_email=rep,
        at=parse_when(at),
        limit=limit or services.settings.action_list_size,
    )
    table = Table(
        title=f"{result.rep.name}: {len(result.items)} actions as of {result.at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    )
    for column in ("#", "do this", "why", "score"):
        table.add_column(column, overflow="fold")
    for n, item in enumerate(result.items, 1):
        why = item.reason
        factors = result.factors.get(str(item.id))
        if factors:
            why += "\n[dim]" + "; ".join(factors) + "[/dim]"
        table.add_row(str(n), item.title, why, f"{item.score:,.0f}")
    console.print(table)
    if not result.items:
        console.print(f"No open deals or waiting leads for {result.rep.email}.")


@app.command()
def route(
    ctx: typer.Context,
    explain: Annotated[
        str,
        typer.Option(
            "--explain",
            metavar="LEAD",
            help="The lead's id, external id or email.",
            show_default=False,
        ),
    ],
    at: Annotated[
        str | None, typer.Option("--at", help="As of this moment (ISO; naive is UTC); default now.")
    ] = None,
) -> None:
    """Show whom the routing rules would give a lead now, and why; changes nothing."""
    from bot.route_text import Moment, route_lines
    from handlers.errors import UserError
    from handlers.route_explain import explain_route

    services = build_services(settings_from(ctx))
    try:
        deps = replace(services.desk_deps("cli"), clock=Moment(parse_when(at)))
        explanation = explain_route(deps, explain)
    except (UserError, CliError) as error:
        err_console.print(f"error: {error}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    finally:
        services.close()
    for line in route_lines(explanation):
        console.print(line, markup=False, highlight=False, soft_wrap=True)


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Run the web app (health check now; Slack, Teams, webhooks and the emulator as they land)."""
    _serve(_services(ctx), host=host, port=port)


def _serve(services: Services, *, host: str | None, port: int | None) -> None:
    import uvicorn

    from bot.app import create_app

    settings = services.settings
    app_ = create_app(settings, services)
    bind_host, bind_port = host or settings.host, port or settings.port
    _check_port_free(bind_host, bind_port)
    base = f"http://{bind_host}:{bind_port}"
    console.print(f"dealbot is listening on {base}  (health: /healthz, API: /docs)")
    console.print(f"Manager dashboard: {base}/dashboard", highlight=False)
    if settings.emulator_enabled:
        console.print(f"Emulator (open this): {base}/emulator", highlight=False)
    uvicorn.run(app_, host=bind_host, port=bind_port, log_level=settings.log_level.lower())


def _check_port_free(host: str, port: int) -> None:
    import socket

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise CliError(
                f"cannot listen on {host}:{port} ({error.strerror}); pick another with --port"
            ) from None


@app.command()
def demo(
    ctx: typer.Context,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed for the demo team.")] = 7,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Seed and train, then stop.")
    ] = False,
) -> None:
    """Seed a fresh local demo database, train the models, show a digest and serve the app."""
    from storage.migrate import upgrade

    settings = settings_from(ctx)
    if not settings.database_url.startswith("sqlite"):
        raise CliError(
            "`dealbot demo` makes its own SQLite file; unset DATABASE_URL or use `dealbot seed`"
        )
    path = Path(DEMO_DATABASE).resolve()
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    demo_settings = Settings(
        **{**settings.model_dump(), "database_url": f"sqlite:///{path}", "mode": "demo"}
    )
    upgrade(demo_settings.database_url)
    clock = None
    if demo_settings.emulator_enabled:
        from bot.emulator.clock import EmulatedClock
        from core.demo_inbound import demo_start

        clock = EmulatedClock(demo_start(datetime.now(UTC)))
    services = build_services(demo_settings, clock=clock)
    _seed_and_show(services, seed=seed)
    if not no_serve:
        _serve(services, host=None, port=port)


def _seed_and_show(services: Services, *, seed: int) -> None:
    from bot.forecast import load_forecaster
    from bot.model_commands import train_and_report
    from handlers.action_list import ranked_actions
    from handlers.seed import seed_demo

    now = services.clock.now()
    summary = seed_demo(services.uow_factory, seed=seed, now=now)
    console.print(f"Seeded a demo team: {summary.describe()}")
    train_and_report(services)
    with services.uow_factory() as uow:
        first = next((r for r in uow.reps.list() if r.role.value == "rep"), None)
    if first is not None:
        result = ranked_actions(
            services.uow_factory,
            load_forecaster(services.uow_factory, services.settings.pipeline),
            rep_email=first.email,
            at=now,
            limit=5,
        )
        console.print(f"\n[bold]{first.name}'s top actions right now[/bold]")
        for n, item in enumerate(result.items, 1):
            console.print(f" {n}. {item.title}\n    [dim]{item.reason}[/dim]")
        console.print(
            f"\nTry: dealbot --database-url sqlite:///{DEMO_DATABASE} digest --rep {first.email}\n"
        )
