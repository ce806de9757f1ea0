"""The intake benchmark's load client: signed lead webhooks sent open-loop at a steady rate.

One aiohttp `ClientSession` (the transport slack_sdk uses, so nothing new to install) with a
keep-alive pool of `CONNECTIONS` connections. 64 is far more than a server that keeps up needs
(at 250 leads/s, 300 requests/s with the bare ones, and a 20 ms answer about 6 are in flight)
and enough for one falling behind by about 0.2 s at that rate (64 / 300 per s); past that the
requests wait for a connection in this process, which the figures show, because every time is
counted from the instant a request was scheduled, not from when it left. More connections would
only move that queue into the server's accept backlog and cost it a socket each.

The requests are built and signed before the timed loop starts: the whole run when it is shorter
than `SIGN_AHEAD` seconds, otherwise that much ahead and then topped up every 10 s of the run,
so a signature's timestamp is never more than about two minutes old when it is sent (the app
refuses any outside 5 minutes). A request that fails, or takes longer than `TIMEOUT` seconds
from when it leaves (its wait for a connection included), counts as an error and never ends the
run; an answer can be timed a little over `TIMEOUT` when this process fell behind its schedule.
One bare `GET /bench/bare` goes with every 5th lead: the baseline for the answer times.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

import aiohttp

from bot.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

WEBHOOK_SECRET = "bench-webhook-secret"
CONNECTIONS = 64
TIMEOUT = 10.0
SIGN_AHEAD = 120.0
TOP_UP_EVERY = 10.0
BARE_EVERY = 5


def lead_body(n: int, tag: str) -> bytes:
    return json.dumps({
        "name": f"Lead {tag}{n}", "email": f"lead{tag}{n}@company{n % 997}.io",
        "company": f"Company {n % 997}", "source": "website", "demo_request": n % 3 == 0,
        "message": "Please call me about pricing.", "utm_source": "google",
    }).encode()  # fmt: skip


class SignedLeads:
    """Lead webhooks `(body, headers)` for one run, signed ahead of when they are sent."""

    def __init__(self, total: int, rate: float, tag: str) -> None:
        self.total, self.tag = total, tag
        self.ahead = int(rate * SIGN_AHEAD)
        self.items: list[tuple[bytes, dict[str, str]]] = []
        self.top_up(0)

    def top_up(self, sending: int) -> None:
        """Sign up to `SIGN_AHEAD` seconds' worth past the `sending`-th request."""
        ts = str(int(time.time()))
        for n in range(len(self.items), min(self.total, sending + self.ahead)):
            body = lead_body(n, self.tag)
            headers = {SIGNATURE_HEADER: sign(WEBHOOK_SECRET, ts, body), TIMESTAMP_HEADER: ts,
                       "Idempotency-Key": f"{self.tag}-{n}", "Content-Type": "application/json"}  # fmt: skip
            self.items.append((body, headers))


@dataclass
class Outcome:
    """What one run at one rate saw; every time from the request's scheduled instant."""

    leads: int
    start: float
    """time.monotonic() of the first scheduled instant."""
    finished: float = 0.0
    """time.monotonic() when the last answer (or error) came."""
    sent: dict[int, float] = field(default_factory=dict)
    """Lead id (from the 202 answer) -> the instant its webhook was scheduled."""
    answers: list[float] = field(default_factory=list)
    bare: list[float] = field(default_factory=list)
    errors: int = 0
    bare_errors: int = 0

    @property
    def took(self) -> float:
        return self.finished - self.start


async def _lead(session: aiohttp.ClientSession, url: str, item: tuple, at: float, out: Outcome) -> None:  # fmt: skip
    body, headers = item
    try:
        async with session.post(url, data=body, headers=headers) as response:
            payload = await response.read()
            if response.status != 202:
                out.errors += 1
                return
    except (TimeoutError, aiohttp.ClientError):
        out.errors += 1
        return
    out.answers.append(time.monotonic() - at)
    out.sent[json.loads(payload)["lead_id"]] = at


async def _bare(session: aiohttp.ClientSession, url: str, at: float, out: Outcome) -> None:
    try:
        async with session.get(url) as response:
            await response.read()
    except (TimeoutError, aiohttp.ClientError):  # an overloaded server is a figure
        out.bare_errors += 1
        return
    out.bare.append(time.monotonic() - at)


async def send_at_rate(base: str, rate: float, seconds: float, tag: str) -> Outcome:
    """Send `rate * seconds` lead webhooks at instants 1/rate apart, each answer awaited apart."""
    total = int(rate * seconds)
    leads = SignedLeads(total, rate, tag)
    top_up_every = max(1, int(rate * TOP_UP_EVERY))
    connector = aiohttp.TCPConnector(limit=CONNECTIONS, keepalive_timeout=60)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT)
    lead_url, bare_url = f"{base}/webhooks/leads", f"{base}/bench/bare"
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        out = Outcome(total, time.monotonic() + 0.05)
        tasks = []
        for n in range(total):
            at = out.start + n / rate
            delay = at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(_lead(session, lead_url, leads.items[n], at, out)))
            if n % BARE_EVERY == 0:
                tasks.append(asyncio.create_task(_bare(session, bare_url, at, out)))
            if n % top_up_every == 0 and n:
                leads.top_up(n)
        await asyncio.gather(*tasks)
        out.finished = time.monotonic()
    return out


def run(base: str, rate: float, seconds: float, tag: str) -> Outcome:
    return asyncio.run(send_at_rate(base, rate, seconds, tag))


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
