"""The `dealbot` command line. Every failure is one clear line on stderr and exit code 2."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console

from bot.logs import configure_logging
from bot.settings import Settings, SettingsError, load_settings

app = typer.Typer(
    name="dealbot",
    help="dealbot: ranked action lists, hot-lead routing and call logging for sales teams.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")

console = Console()
err_console = Console(stderr=True)
log = logging.getLogger("dealbot")

SETTINGS_KEY = "settings"


class CliError(Exception):
    """A problem the person at the terminal can fix; printed as one line."""


def settings_from(ctx: typer.Context) -> Settings:
    settings: Settings = ctx.ensure_object(dict)[SETTINGS_KEY]
    return settings


@app.callback()
def _root(
    ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="Overrides DATABASE_URL.", show_default=False),
    ] = None,
) -> None:
    overrides: dict[str, Any] = {}
    if database_url:
        overrides["database_url"] = database_url
    settings = load_settings(**overrides)
    configure_logging(settings.log_level)
    ctx.ensure_object(dict)[SETTINGS_KEY] = settings


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Create or migrate the database schema to the latest version."""
    from storage.migrate import current, upgrade

    url = settings_from(ctx).database_url
    upgrade(url)
    console.print(f"Database is at schema revision {current(url)}.")


def parse_when(text: str | None) -> datetime:
    """An ISO date or datetime from the command line; naive means UTC; None means now."""
    if text is None:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CliError(
            f"'{text}' is not a date or time; use ISO form like 2026-11-23T08:00"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _register_commands() -> None:
    from bot import (  # noqa: F401  (they register on `app`)
        cli_commands,
        digest_commands,
        import_command,
        model_commands,
        outbox_commands,
        report_commands,
        teams_commands,
        worker_command,
    )


def main(argv: list[str] | None = None) -> int:
    """Console entry point: runs a command and turns every failure into one line and exit 2."""
    _register_commands()
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="dealbot", standalone_mode=False)
    except Exception as error:  # last line of defence: one line, never a traceback
        return _failure(error)
    return result if isinstance(result, int) else 0


def _failure(error: Exception) -> int:
    kind = type(error).__name__
    if kind == "Exit":
        return int(getattr(error, "exit_code", 0) or 0)
    if kind == "Abort":
        _say("Aborted.")
        return 2
    if isinstance(error, (CliError, SettingsError)):
        _say(f"error: {error}")
        return 2
    if hasattr(error, "format_message"):  # the CLI parser's usage errors
        _say(f"error: {error.format_message()}")
        hint = "dealbot --help" if "command" in str(error) else "dealbot COMMAND --help"
        _say(f"Try '{hint}'; global options such as --database-url go before the command.")
        return 2
    return _unexpected(error)


def _say(line: str) -> None:
    err_console.print(line, highlight=False, soft_wrap=True, markup=False)


def _unexpected(error: Exception) -> int:
    from handlers.errors import UserError

    if isinstance(error, UserError):
        _say(f"error: {error}")
        return 2
    from sqlalchemy.exc import OperationalError, ProgrammingError

    if isinstance(error, (OperationalError, ProgrammingError)):
        reason = str(error.orig).splitlines()[0] if error.orig else type(error).__name__
        _say(
            f"error: database problem ({reason}). Check DATABASE_URL and run `dealbot db upgrade`."
        )
        return 2
    log.debug("unexpected error", exc_info=error)
    _say(f"error: {type(error).__name__}: {error} (set DEALBOT_LOG_LEVEL=DEBUG for details)")
    return 2


def run() -> None:
    sys.exit(main())
