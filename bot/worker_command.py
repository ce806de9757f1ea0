"""`dealbot worker`: the clocks, delivery and drafting without the web server.

Run it as its own process, with DEALBOT_DELIVERY_ENABLED=false and DEALBOT_SCHEDULER_ENABLED=false
on `dealbot serve`, so that sending to Slack never competes with answering webhooks and Slack for
the same CPU: the web process writes the outbox, this one sends it. Several may run at once (the outbox is claimed
under leases; the clocks' work is once-only by key). Stops on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

import typer
from fastapi import FastAPI

from bot.cli import app, console
from bot.cli_commands import _services
from bot.services import Services


@app.command()
def worker(ctx: typer.Context) -> None:
    """Run the digest and SLA clocks, the outbox delivery and the drafting worker until stopped."""
    services = _services(ctx)
    console.print("dealbot worker: clocks and delivery running (Ctrl-C stops)")
    try:
        asyncio.run(run_worker(services))
    finally:
        services.close()


async def run_worker(services: Services, stop: asyncio.Event | None = None) -> None:
    """The app's background parts (not Socket Mode) until `stop` is set or a signal arrives."""
    from bot.drafting.worker import drafting_lifespan
    from bot.lifespan import delivery_lifespan
    from bot.scheduler import digest_clock_lifespan

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    host = FastAPI()
    host.state.services = services
    host.state.settings = services.settings
    async with digest_clock_lifespan(host), delivery_lifespan(host), drafting_lifespan(host):
        await stop.wait()
    services.stop()
