"""A running dealbot wired to a fake Slack: seeded database, real app over HTTP, signed requests.

`SlackWorld` posts what Slack would post (form-encoded slash commands, `payload=` interactions,
JSON events), signed with the test secret, and waits for what the app sends back to the fake
Web API or to the fake `response_url`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from bot.app import create_app
from bot.services import build_services
from bot.settings import Settings, load_settings
from core.model import Account, Deal, NextAction, Rep, Role
from storage.db import create_schema
from storage.tables import ActionRow
from tests.fake_slack import Call, FakeSlack
from tests.live_server import serving

SECRET = "test-signing-secret-5f1c"
TOKEN = "test-bot-token"
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # a Monday


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


def sign(body: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Seeded:
    ana: int
    ben: int
    mia: int
    """Mia manages Ana and Ben."""
    deals: dict[str, int]


def seed(settings: Settings) -> Seeded:
    services = build_services(settings)
    create_schema(services.engine)
    with services.uow_factory() as uow:
        mia = uow.reps.add(Rep(email="mia@example.com", name="Mia Manager", role=Role.MANAGER))
        ana = uow.reps.add(
            Rep(
                email="ana@example.com",
                name="Ana Lopez",
                manager_id=mia.id,
                time_zone="Europe/Berlin",
            )
        )
        ben = uow.reps.add(Rep(email="ben@example.com", name="Ben Okafor", manager_id=mia.id))
        acme = uow.accounts.add(Account(name="Acme", domain="acme.com"))
        globex = uow.accounts.add(Account(name="Globex", domain="globex.com"))
        deals: dict[str, int] = {}
        rows = [
            ("Acme EU", acme.id, ana.id, 45_000, "Proposal", None),
            ("Acme US", acme.id, ana.id, 30_000, "Demo", None),
            ("Globex renewal", globex.id, ana.id, 80_000, "Negotiation", date(2026, 11, 20)),
            ("Initech pilot", None, ben.id, 12_000, "Qualification", None),
        ]
        for name, account, owner, amount, stage, due in rows:
            deal = uow.deals.add(
                Deal(
                    name=name,
                    stage=stage,
                    created_at=NOW - timedelta(days=40),
                    stage_entered_at=NOW - timedelta(days=6),
                    account_id=account,
                    owner_id=owner,
                    amount=amount,
                    next_action=NextAction("Send contract", due, owner) if due else None,
                )
            )
            deals[name] = deal.id or 0
        uow.commit()
    services.close()
    return Seeded(ana.id or 0, ben.id or 0, mia.id or 0, deals)


DIRECTORY = {
    "UANA": "ana@example.com",
    "UBEN": "Ben@Example.com",
    "UMIA": "mia@example.com",
    "USTRANGER": "someone@elsewhere.com",
}


class SlackWorld:
    def __init__(
        self, base_url: str, fake: FakeSlack, seeded: Seeded, clock: FixedClock, services: Any
    ) -> None:
        self.base_url, self.fake, self.seeded, self.clock = base_url, fake, seeded, clock
        self.services = services
        self.http = httpx.Client(base_url=base_url, timeout=10)

    # --- what Slack sends ------------------------------------------------------------------

    def post(
        self, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        signed = headers if headers is not None else sign(body)
        return self.http.post(
            "/slack/events", content=body, headers={**signed, "Content-Type": content_type}
        )

    def command(self, user: str, line: str) -> httpx.Response:
        """A slash command as typed, e.g. `/deals globex`."""
        command, _, text = line.partition(" ")
        form = {
            "token": "legacy", "team_id": "T0FAKE", "team_domain": "fake", "channel_id": "C0SALES",
            "channel_name": "sales", "user_id": user, "user_name": user.lower(), "command": command,
            "text": text, "api_app_id": "A0APP", "response_url": self.response_url(),
            "trigger_id": f"trigger-{uuid.uuid4().hex[:8]}",
        }  # fmt: skip
        return self.post(urlencode(form).encode(), "application/x-www-form-urlencoded")

    def interact(self, payload: dict[str, Any]) -> httpx.Response:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.post(body, "application/x-www-form-urlencoded")

    def press(self, user: str, element: dict[str, Any], *, in_home: bool = False) -> httpx.Response:
        """A button press or select choice, as the block_actions payload Slack sends."""
        container: dict[str, Any] = (
            {"type": "view", "view_id": "V1"}
            if in_home
            else {
                "type": "message",
                "message_ts": "1.2",
                "channel_id": "C0SALES",
                "is_ephemeral": True,
            }
        )
        payload: dict[str, Any] = {
            "type": "block_actions", "user": {"id": user, "team_id": "T0FAKE"}, "api_app_id": "A0APP",
            "team": {"id": "T0FAKE"}, "container": container, "trigger_id": "trigger-press",
            "actions": [{**element, "block_id": "b", "action_ts": "1.3"}],
        }  # fmt: skip
        if not in_home:
            payload["response_url"] = self.response_url()
            payload["channel"] = {"id": "C0SALES"}
        return self.interact(payload)

    def event(
        self, event: dict[str, Any], event_id: str, retry: int | None = None
    ) -> httpx.Response:
        body = json.dumps({
            "token": "legacy", "team_id": "T0FAKE", "api_app_id": "A0APP", "type": "event_callback",
            "event": event, "event_id": event_id, "event_time": int(time.time()),
        }).encode()  # fmt: skip
        headers = sign(body)
        if retry is not None:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(body, "application/json", headers)

    def response_url(self) -> str:
        return f"{self.fake.url}/response/{uuid.uuid4().hex}"

    # --- what the app sent back ------------------------------------------------------------

    def wait_for(self, method: str, count: int = 1, timeout: float = 15.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = self.fake.calls_for(method)
            if len(calls) >= count:
                time.sleep(0.05)
                return self.fake.calls_for(method)
            time.sleep(0.02)
        raise AssertionError(
            f"expected {count} {method} call(s), saw {len(self.fake.calls_for(method))}"
        )

    def responses(self, count: int = 1) -> list[dict[str, Any]]:
        return [call.params for call in self.wait_for("response_url", count)]

    def last_response(self, count: int) -> dict[str, Any]:
        return self.responses(count)[-1]

    def uow(self) -> Any:
        return self.services.uow_factory()


def all_text(params: dict[str, Any]) -> str:
    """Every piece of text in a message or view: the fallback and every block, flattened."""
    return json.dumps(params, ensure_ascii=False)


@contextmanager
def running_app(
    settings: Settings, prepare: Callable[[Any], None] | None = None
) -> Iterator[tuple[str, Seeded, FixedClock, Any]]:
    """The seeded app serving over HTTP on a fixed clock: (base URL, seeded, clock, services).

    `prepare` adjusts the services before the app is built from them."""
    seeded = seed(settings)
    services = build_services(settings)
    clock = FixedClock(NOW)
    services.clock = clock  # type: ignore[assignment]
    if prepare is not None:
        prepare(services)
    app = create_app(settings, services)
    try:
        with serving(app) as base_url:
            yield base_url, seeded, clock, services
    finally:
        services.close()


@contextmanager
def slack_world(database_url: str, **overrides: Any) -> Iterator[SlackWorld]:
    with FakeSlack(DIRECTORY) as fake:
        settings = load_settings(
            database_url=database_url,
            slack_bot_token=TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=fake.api_url,
            scheduler_enabled=False,
            **overrides,
        )
        with running_app(settings) as (base_url, seeded, clock, services):
            world = SlackWorld(base_url, fake, seeded, clock, services)
            try:
                yield world
            finally:
                world.http.close()


def activities(engine: Engine) -> list[tuple[Any, ...]]:
    """Every activity as (deal, kind, summary, surface)."""
    with engine.connect() as conn:
        rows = conn.execute(text("select deal_id, kind, summary, surface from activity"))
        return [tuple(row) for row in rows]


def action_status(engine: Engine, title_part: str) -> tuple[str, datetime | None]:
    """(status, snoozed until) of the action whose title contains `title_part`."""
    with Session(engine) as session:
        row = session.exec(
            select(ActionRow).where(col(ActionRow.title).like(f"%{title_part}%"))
        ).first()
    assert row is not None
    return row.status, row.snoozed_until


def find(items: list[Any], predicate: Callable[[Any], bool]) -> Any:
    return next(item for item in items if predicate(item))
