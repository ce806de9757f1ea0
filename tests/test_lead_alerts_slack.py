"""A hot lead end to end: signed webhook in, channel alert and DM out at the fake Slack Web API,
the alert edited in place after a button press, and the breach posted when the clock runs out."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from bot.app import create_app
from bot.delivery.slack import SlackMessenger
from bot.delivery.worker import DeliveryPolicy, DeliveryWorker
from bot.services import Services, build_services
from bot.settings import load_settings
from bot.slack.render import render_message
from bot.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from handlers.sla_sweep import sweep_response_clocks
from storage.db import create_schema
from storage.delivery import OutboxQueue
from tests.fake_slack import FakeSlack
from tests.lead_world import CHANNEL, FixedClock, Team1, seed_team
from tests.live_server import serving
from tests.slack_world import SECRET, TOKEN
from tests.slack_world import sign as slack_sign

WEBHOOK_SECRET = "test-webhook-secret-9c2e"
DIRECTORY = {"UANA": "ana@example.com", "UBEN": "ben@example.com", "UMIA": "mia@example.com"}


@dataclass
class LeadDesk:
    http: httpx.Client
    fake: FakeSlack
    services: Services
    clock: FixedClock
    team: Team1

    def submit(self, body: dict[str, Any], key: str) -> httpx.Response:
        raw = json.dumps(body).encode()
        ts = str(int(time.time()))
        headers = {
            SIGNATURE_HEADER: sign(WEBHOOK_SECRET, ts, raw),
            TIMESTAMP_HEADER: ts,
            "Idempotency-Key": key,
            "Content-Type": "application/json",
        }
        return self.http.post("/webhooks/leads", content=raw, headers=headers)

    def deliver(self) -> None:
        """One delivery round on the desk's clock, as the app's worker would do it."""
        messenger = SlackMessenger(token=TOKEN, base_url=self.fake.api_url, render=render_message)
        worker = DeliveryWorker(
            OutboxQueue(self.services.engine), {"slack": messenger},
            DeliveryPolicy(rate_per_second=100.0, channel_interval=0.0), clock=self.clock,
        )  # fmt: skip

        async def rounds() -> None:
            for _ in range(3):  # an edit waits for its original; a later round sends it
                await worker.run_once()
            await worker.stop()

        asyncio.run(rounds())

    def press(self, user: str, action_id: str, value: str, ts: str) -> httpx.Response:
        payload = {
            "type": "block_actions", "user": {"id": user, "team_id": "T0FAKE"}, "api_app_id": "A0APP",
            "team": {"id": "T0FAKE"}, "trigger_id": "t",
            "container": {"type": "message", "message_ts": ts, "channel_id": CHANNEL},
            "channel": {"id": CHANNEL}, "response_url": f"{self.fake.url}/response/press",
            "actions": [{"type": "button", "action_id": action_id, "value": value,
                         "block_id": "b", "action_ts": "1.3"}],
        }  # fmt: skip
        from urllib.parse import urlencode

        body = urlencode({"payload": json.dumps(payload)}).encode()
        headers = {**slack_sign(body), "Content-Type": "application/x-www-form-urlencoded"}
        return self.http.post("/slack/events", content=body, headers=headers)


@contextmanager
def lead_desk(database_url: str) -> Iterator[LeadDesk]:
    with FakeSlack(DIRECTORY) as fake:
        settings = load_settings(
            database_url=database_url, slack_bot_token=TOKEN, slack_signing_secret=SECRET,
            slack_api_url=fake.api_url, webhook_secret=WEBHOOK_SECRET,
            scheduler_enabled=False, delivery_enabled=False,
        )  # fmt: skip
        services = build_services(settings)
        create_schema(services.engine)
        team = seed_team(services.uow_factory)
        clock = FixedClock()
        services.clock = clock  # type: ignore[assignment]
        with serving(create_app(settings, services)) as base_url:
            http = httpx.Client(base_url=base_url, timeout=10)
            try:
                yield LeadDesk(http, fake, services, clock, team)
            finally:
                http.close()
                services.close()


def wait_for(fake: FakeSlack, method: str, count: int) -> list[Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(fake.calls_for(method)) < count:
        time.sleep(0.02)
    return fake.calls_for(method)


def posts_to(fake: FakeSlack, channel: str) -> list[dict[str, Any]]:
    return [c.params for c in fake.calls_for("chat.postMessage") if c.params["channel"] == channel]


def text_of(params: dict[str, Any]) -> str:
    return json.dumps(params, ensure_ascii=False)


def test_a_hot_lead_is_announced_edited_in_place_and_its_breach_called_out(database_url):
    with lead_desk(database_url) as desk:
        answer = desk.submit(
            {"name": "Sarah Chen", "email": "sarah@acme.com", "company": "Acme",
             "demo_request": True, "message": "<!channel> call me"}, key="form-1",
        )  # fmt: skip
        assert answer.status_code == 202, answer.text
        lead_id = answer.json()["lead_id"]
        assert (
            desk.submit({"email": "sarah@acme.com"}, key="form-1").json()["status"] == "duplicate"
        )

        desk.deliver()
        channel = posts_to(desk.fake, CHANNEL)
        dms = posts_to(desk.fake, "UANA")
        assert len(channel) == 1 and len(dms) == 1
        assert "Hot lead: Sarah Chen" in channel[0]["text"] and "Ana: owns acme.com" in text_of(
            channel[0]
        )
        assert "sarah@acme.com" in text_of(dms[0]) and "sarah@acme.com" not in text_of(channel[0])
        assert "call me" in text_of(dms[0])  # the person's words reach the owner...
        assert "<!channel>" not in text_of(dms[0])  # ...quoted and escaped: they ping nobody
        assert "call me" not in text_of(channel[0])  # and stay out of the channel
        landed = OutboxQueue(desk.services.engine).landed(f"lead:{lead_id}:channel")
        assert landed is not None and landed[0] == "sent"
        alert_ts = (landed[1] or "").removeprefix(f"{CHANNEL}/")

        pressed = desk.press("UANA", "dealbot.lead_accept", f"{lead_id}|", alert_ts)
        assert pressed.status_code == 200
        redrawn = wait_for(desk.fake, "response_url", 1)[-1].params
        assert redrawn["replace_original"] is True and "accepted by Ana Lopez" in text_of(redrawn)
        assert "dealbot.lead_accept" not in text_of(redrawn)  # accepted: no Accept button
        desk.deliver()
        updates = desk.fake.calls_for("chat.update")
        assert [u.params["ts"] for u in updates] == [alert_ts]
        assert "accepted by Ana Lopez" in text_of(updates[0].params)

        desk.clock.advance(minutes=5)
        run = sweep_response_clocks(desk.services.desk_deps())
        assert (run.reminders, run.breaches) == (0, 1)  # a late sweep skips the reminder
        desk.deliver()
        breaches = [p for p in posts_to(desk.fake, CHANNEL) if "breached" in p["text"]]
        assert len(breaches) == 1 and "Ana Lopez" in breaches[0]["text"]
        assert "5 min" in breaches[0]["text"]
        assert len(posts_to(desk.fake, CHANNEL)) == 2  # the alert once, the breach once
        assert "Response time breached" in text_of(desk.fake.calls_for("chat.update")[-1].params)

        desk.clock.advance(minutes=1)
        assert sweep_response_clocks(desk.services.desk_deps()).due == 0


def test_a_manager_reassigns_from_the_channel_alert_and_the_new_owner_hears(database_url):
    with lead_desk(database_url) as desk:
        lead_id = desk.submit({"email": "ops@initech.io", "source": "website"}, key="f").json()[
            "lead_id"
        ]
        desk.deliver()
        with desk.services.uow_factory() as uow:
            first_owner = uow.leads.get(lead_id).owner_id
        other = desk.team.ben if first_owner != desk.team.ben else desk.team.ana
        other_slack = "UBEN" if other == desk.team.ben else "UANA"
        option = {"value": f"{lead_id}|{other}", "text": {"type": "plain_text", "text": "x"}}
        select = {
            "type": "static_select",
            "action_id": "dealbot.lead_reassign",
            "selected_option": option,
        }
        from urllib.parse import urlencode

        payload = {
            "type": "block_actions", "user": {"id": "UMIA", "team_id": "T0FAKE"}, "api_app_id": "A0APP",
            "team": {"id": "T0FAKE"}, "trigger_id": "t",
            "container": {"type": "message", "message_ts": "1.1", "channel_id": CHANNEL},
            "channel": {"id": CHANNEL}, "response_url": f"{desk.fake.url}/response/r",
            "actions": [{**select, "block_id": "b", "action_ts": "1.3"}],
        }  # fmt: skip
        body = urlencode({"payload": json.dumps(payload)}).encode()
        headers = {**slack_sign(body), "Content-Type": "application/x-www-form-urlencoded"}
        assert desk.http.post("/slack/events", content=body, headers=headers).status_code == 200
        redrawn = wait_for(desk.fake, "response_url", 1)[-1].params
        assert "reassigned by Mia" in text_of(redrawn)
        desk.deliver()
        assert len(posts_to(desk.fake, other_slack)) == 1
        assert posts_to(desk.fake, "UMIA") == []  # nobody hears about their own action
        with desk.services.uow_factory() as uow:
            assert uow.leads.get(lead_id).owner_id == other
            assert uow.audit.latest(f"lead:{lead_id}").action == "lead.reassign"
