"""A running dealbot wired to a fake Bot Framework: seeded database, real app over HTTP, real tokens.

`TeamsWorld` posts the activities Teams posts (a personal message, a channel @mention, an install,
an `adaptiveCard/action` invoke, an Action.Submit), each with a JWT signed by the fake's key and
checked by botbuilder against the fake's published keys. Replies reach the fake Bot Connector,
which the activities name as their `serviceUrl`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from bot.settings import load_settings
from bot.teams.render import CARD_CONTENT_TYPE
from tests.adaptive_cards import assert_valid_card
from tests.fake_teams import OUTBOUND_TOKEN, Call, FakeTeams, Member
from tests.slack_world import FixedClock, Seeded, running_app

APP_ID = "00000000-0000-0000-0000-0000000000ab"
BOT_ID = f"28:{APP_ID}"
TENANT = "test-tenant"
TEAM_ID = "19:sales-team@thread.tacv2"
CHANNEL_ID = "19:deals-channel@thread.tacv2"

PEOPLE = {
    "ana": Member("29:1ana", "aad-ana", "Ana Lopez", "ana@example.com"),
    "ben": Member("29:1ben", "aad-ben", "Ben Okafor", "Ben@Example.com"),
    "mia": Member("29:1mia", "aad-mia", "Mia Manager", "mia@example.com"),
    "stranger": Member("29:1str", "aad-str", "Sam Stranger", "sam@elsewhere.com"),
}
_ids = itertools.count(1_700_000_000_000)


class TeamsWorld:
    def __init__(
        self, base_url: str, fake: FakeTeams, seeded: Seeded, clock: FixedClock, services: Any
    ) -> None:
        self.base_url, self.fake, self.seeded, self.clock = base_url, fake, seeded, clock
        self.services = services
        self.http = httpx.Client(base_url=base_url, timeout=15)

    # --- what Teams sends ---------------------------------------------------------------------

    def post(self, activity: dict[str, Any], *, token: str | None = "valid") -> httpx.Response:
        headers = {}
        if token == "valid":
            headers["Authorization"] = f"Bearer {self.fake.token(APP_ID, activity['serviceUrl'])}"
        elif token is not None:
            headers["Authorization"] = token
        return self.http.post("/api/messages", json=activity, headers=headers)

    def base(self, who: str, kind: str, conversation: dict[str, Any]) -> dict[str, Any]:
        person = PEOPLE[who]
        return {
            "type": kind, "id": str(next(_ids)), "timestamp": "2026-11-23T14:00:00.000Z",
            "localTimestamp": "2026-11-23T15:00:00.000+01:00", "channelId": "msteams",
            "serviceUrl": self.fake.url, "locale": "en-US",
            "from": {"id": person.teams_id, "name": person.name, "aadObjectId": person.object_id},
            "conversation": conversation, "recipient": {"id": BOT_ID, "name": "dealbot"},
            "entities": [{"locale": "en-US", "country": "US", "platform": "Web",
                          "timezone": "Europe/Berlin", "type": "clientInfo"}],
            "channelData": {"tenant": {"id": TENANT}},
        }  # fmt: skip

    def personal(self, who: str) -> dict[str, Any]:
        return {"conversationType": "personal", "tenantId": TENANT, "id": f"a:chat-{who}"}

    def channel(self, conversation_id: str) -> dict[str, Any]:
        """A team channel (or a thread in one, `<channel id>;messageid=<first message>`)."""
        return {
            "isGroup": True,
            "conversationType": "channel",
            "tenantId": TENANT,
            "id": conversation_id,
        }

    def message(self, who: str, text: str) -> httpx.Response:
        """A message in the person's chat with the bot."""
        return self.post(self.message_activity(who, text))

    def message_activity(self, who: str, text: str) -> dict[str, Any]:
        activity = self.base(who, "message", self.personal(who))
        return activity | {"text": text, "textFormat": "plain"}

    def mention(self, who: str, text: str) -> httpx.Response:
        """`@dealbot <text>` posted in the sales channel, as Teams sends it."""
        thread = f"{CHANNEL_ID};messageid={next(_ids)}"
        activity = self.base(who, "message", self.channel(thread))
        mention = {
            "mentioned": {"id": BOT_ID, "name": "dealbot"},
            "text": "<at>dealbot</at>",
            "type": "mention",
        }
        activity["entities"] = [mention, *activity["entities"]]
        activity["text"] = f"<at>dealbot</at> {text}\n"
        activity["channelData"] = {
            "teamsChannelId": CHANNEL_ID, "teamsTeamId": TEAM_ID, "channel": {"id": CHANNEL_ID},
            "team": {"id": TEAM_ID}, "tenant": {"id": TENANT},
        }  # fmt: skip
        return self.post(activity)

    def install_personal(self, who: str) -> httpx.Response:
        activity = self.base(who, "conversationUpdate", self.personal(who))
        activity["membersAdded"] = [{"id": BOT_ID}]
        return self.post(activity)

    def install_team(self, who: str = "mia") -> httpx.Response:
        activity = self.base(who, "conversationUpdate", self.channel(TEAM_ID))
        activity["membersAdded"] = [{"id": BOT_ID}]
        activity["channelData"] = {
            "team": {"aadGroupId": "group-1", "name": "Sales", "id": TEAM_ID},
            "eventType": "teamMemberAdded", "tenant": {"id": TENANT},
        }  # fmt: skip
        return self.post(activity)

    def execute(
        self, who: str, data: dict[str, Any], *, verb: str | None = None, card_id: str = "1:card"
    ) -> httpx.Response:
        """An Action.Execute press: the `adaptiveCard/action` invoke."""
        return self.post(self.execute_activity(who, data, verb=verb, card_id=card_id))

    def execute_activity(
        self, who: str, data: dict[str, Any], *, verb: str | None = None, card_id: str = "1:card"
    ) -> dict[str, Any]:
        activity = self.base(who, "invoke", self.personal(who))
        action = {
            "type": "Action.Execute",
            "title": "press",
            "verb": verb or data.get("action_id", ""),
            "data": data,
        }
        activity |= {"name": "adaptiveCard/action", "replyToId": card_id,
                     "value": {"action": action, "trigger": "manual"}}  # fmt: skip
        activity["channelData"] |= {"source": {"name": "message"}, "legacy": {"replyToId": card_id}}
        return activity

    def submit(self, who: str, data: dict[str, Any], *, card_id: str = "1:card") -> httpx.Response:
        """An Action.Submit press: a message with only a value (clients without Execute)."""
        activity = self.base(who, "message", self.personal(who))
        activity |= {"replyToId": card_id, "value": data}
        activity["channelData"] |= {"source": {"name": "message"}, "legacy": {"replyToId": card_id}}
        return self.post(activity)

    # --- what came back -----------------------------------------------------------------------

    def replies(self, count: int = 1) -> list[Call]:
        """Messages the bot sent (new ones, replies in a thread, or posts to a chat); every card
        among them is checked against the Adaptive Card 1.5 schema."""
        calls = self.fake.wait_for("send", "reply", count=count)
        for call in calls:
            if call.card is not None:
                assert_valid_card(call.card)
        return calls

    def updates(self, count: int = 1) -> list[Call]:
        calls = self.fake.wait_for("update", count=count)
        for call in calls:
            assert call.card is not None
            assert_valid_card(call.card)
        return calls

    def answer(self, response: httpx.Response) -> tuple[str, Any]:
        """An invoke's answer: (its type, its value); a card is checked against the schema."""
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["statusCode"] == 200
        if body["type"] == CARD_CONTENT_TYPE:
            assert_valid_card(body["value"])
        return body["type"], body["value"]

    def last_card(self, count: int) -> dict[str, Any]:
        card = self.replies(count)[-1].card
        assert card is not None, "the last message has no card"
        return card

    def uow(self) -> Any:
        return self.services.uow_factory()


@contextmanager
def teams_world(database_url: str, **overrides: Any) -> Iterator[TeamsWorld]:
    with FakeTeams(members={m.teams_id: m for m in PEOPLE.values()}) as fake:
        settings = load_settings(
            database_url=database_url,
            teams_app_id=APP_ID,
            teams_app_password="test-app-password",
            teams_tenant_id=TENANT,
            teams_openid_metadata_url=fake.metadata_url,
            scheduler_enabled=False,
            **overrides,
        )

        def stay_offline(services: Any) -> None:
            services.teams_token_source = lambda scope: OUTBOUND_TOKEN

        with running_app(settings, stay_offline) as (base_url, seeded, clock, services):
            world = TeamsWorld(base_url, fake, seeded, clock, services)
            try:
                yield world
            finally:
                world.http.close()
