"""`dealbot tick`: one digest pass by hand, for operations and tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from bot.cli import app, console, parse_when, settings_from
from bot.services import build_services


class _FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


@app.command()
def tick(
    ctx: typer.Context,
    at: Annotated[
        str | None, typer.Option("--at", help="As of this moment (ISO; naive is UTC); default now.")
    ] = None,
) -> None:
    """Queue the morning digest of every rep whose work day has begun and who has none today."""
    from bot.scheduler import run_digest_pass
    from storage.migrate import upgrade

    settings = settings_from(ctx)
    upgrade(settings.database_url)
    services = build_services(settings)
    try:
        run = run_digest_pass(services, _FixedClock(parse_when(at)))
    finally:
        services.close()
    when = f"{run.at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    console.print(f"Digests as of {when}: {run.describe()}.", soft_wrap=True, highlight=False)
