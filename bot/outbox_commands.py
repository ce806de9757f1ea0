"""`dealbot outbox list` and `dealbot outbox retry`: see what is waiting or dead, and revive it.

The listing never prints a payload: messages hold customer names and deal details, and a
terminal (or a pasted screenshot) is no place for them. Keys, targets and error codes are enough
to tell what a row is and why it stopped. A retry is audited as `cli:<login>`, through the same
call as the dashboard's Retry button.
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from bot.cli import CliError, app, console, settings_from
from core.ports import OutboxItem
from handlers.outbox_retry import retry_dead_messages
from storage.delivery import STATUSES, OutboxQueue
from storage.uow import UnitOfWorkFactory

outbox_app = typer.Typer(help="Proactive messages: waiting, sent or dead.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")


def _queue(ctx: typer.Context) -> OutboxQueue:
    from storage.db import create_engine_for
    from storage.migrate import upgrade

    url = settings_from(ctx).database_url
    upgrade(url)
    return OutboxQueue(create_engine_for(url))


def _when(moment: datetime | None) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S}" if moment else "-"


def _row(item: OutboxItem) -> list[str]:
    return [
        str(item.id),
        item.key,
        item.platform,
        item.target,
        item.status,
        str(item.attempts),
        _when(item.next_attempt_at if item.status != "sent" else None),
        item.last_error or "",
    ]


@outbox_app.command("list")
def outbox_list(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option(help="Only this status: pending, sending, sent or dead.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Rows to show, newest first.")] = 50,
) -> None:
    """List outbox rows (newest first) and how many there are of each status."""
    if status is not None and status not in STATUSES:
        raise CliError(f"unknown status '{status}'; use one of {', '.join(STATUSES)}")
    queue = _queue(ctx)
    try:
        items = queue.by_status(status, limit=limit)
        counts = queue.counts()
    finally:
        queue.engine.dispose()
    table = Table("id", "key", "platform", "target", "status", "attempts", "next attempt (UTC)",
                  "last error", title=f"outbox: {len(items)} shown")  # fmt: skip
    for item in items:
        table.add_row(*_row(item))
    console.print(table)
    console.print(", ".join(f"{name} {counts[name]}" for name in STATUSES), highlight=False)


@outbox_app.command("retry")
def outbox_retry(
    ctx: typer.Context,
    ids: Annotated[list[int] | None, typer.Argument(help="Ids of dead rows to send again.")] = None,
    all_dead: Annotated[bool, typer.Option("--all-dead", help="Every dead row.")] = False,
) -> None:
    """Send dead rows again: back to pending, due now, attempts counted from zero (audited)."""
    if bool(ids) == all_dead:
        raise CliError(
            "give the ids of dead rows (see `dealbot outbox list --status dead`) or --all-dead"
        )
    queue = _queue(ctx)
    try:
        revived = retry_dead_messages(
            UnitOfWorkFactory(queue.engine),
            None if all_dead else ids,
            actor=cli_actor(),
            at=datetime.now(UTC),
        )
    finally:
        queue.engine.dispose()
    skipped = sorted(set(ids or ()) - set(revived))
    console.print(f"Queued {len(revived)} dead message(s) again: {_ids(revived)}", highlight=False)
    if skipped:
        console.print(f"Not dead, left alone: {_ids(skipped)}", highlight=False)


def cli_actor() -> str:
    """Who the audit log names for a change made from this terminal: `cli:<login>`."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "cli"


def _ids(ids: list[int]) -> str:
    return ", ".join(map(str, ids)) if ids else "none"
