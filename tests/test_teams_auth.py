"""`/api/messages` refuses every request without a valid Bot Framework token with a 401, never 500.

Tokens are checked by botbuilder against the keys the fake publishes; these are the ways a token
can be wrong. A refused request changes nothing and makes no call to the Bot Connector.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.app import create_app
from bot.settings import SettingsError, load_settings
from tests.fake_teams import ISSUER, FakeTeams
from tests.live_server import serving
from tests.teams_world import APP_ID, PEOPLE, TeamsWorld, teams_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamsWorld]:
    url = f"sqlite:///{tmp_path_factory.mktemp('auth') / 'dealbot.db'}"
    with teams_world(url) as w:
        yield w


def _unsigned(claims: dict) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT', 'kid': 'test-key-1'})}.{part(claims)}."


def _bad_tokens(fake: FakeTeams) -> dict[str, str | None]:
    now = int(time.time())
    stranger_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        {"iss": ISSUER, "aud": APP_ID, "serviceurl": fake.url, "exp": now + 600},
        stranger_key,
        algorithm="RS256",
        headers={"kid": fake.kid},
    )
    return {
        "missing": None,
        "empty": "",
        "not bearer": f"Basic {fake.token(APP_ID)}",
        "garbage": "Bearer garbage",
        "malformed JWT": "Bearer eyJhbGciOiJSUzI1NiJ9.not-base64!.x",
        "three words": f"Bearer {fake.token(APP_ID)} extra",
        "expired": f"Bearer {fake.token(APP_ID, exp=now - 3600, iat=now - 7200, nbf=now - 7200)}",
        "not yet valid": f"Bearer {fake.token(APP_ID, nbf=now + 3600)}",
        "another app": f"Bearer {fake.token('11111111-2222-3333-4444-555555555555')}",
        "another issuer": f"Bearer {fake.token(APP_ID, iss='https://evil.example.com')}",
        "another service URL": f"Bearer {fake.token(APP_ID, 'https://smba.example.com/')}",
        "unsigned": "Bearer "
        + _unsigned({"iss": ISSUER, "aud": APP_ID, "serviceurl": fake.url, "exp": now + 600}),
        "signed by someone else": f"Bearer {forged}",
        "unknown key id": "Bearer "
        + jwt.encode({"iss": ISSUER, "aud": APP_ID, "serviceurl": fake.url, "exp": now + 600},
                     fake.key, algorithm="RS256", headers={"kid": "other-key"}),
    }  # fmt: skip


def test_every_wrong_token_is_a_401_and_nothing_happens(world: TeamsWorld) -> None:
    activity = world.base("ana", "message", world.personal("ana")) | {"text": "deals"}
    for name, token in _bad_tokens(world.fake).items():
        response = world.post(activity, token=token)
        assert response.status_code == 401, f"{name}: {response.status_code} {response.text}"
        assert response.json() == {"error": "unauthorized"}, name
    assert world.fake.calls == []
    with world.uow() as uow:
        assert uow.teams_conversations.get("user:aad-ana") is None
    assert world.post(activity).status_code == 200  # and the same activity, properly signed, works
    world.replies(1)


def test_a_body_that_is_not_an_activity_is_a_400(world: TeamsWorld) -> None:
    for body in (b"not json", b"[1, 2]", b'{"text": "no type"}', b"{}"):
        response = world.http.post(
            "/api/messages", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400, body


def test_without_teams_settings_there_is_no_endpoint(tmp_path: object) -> None:
    settings = load_settings(database_url=f"sqlite:///{tmp_path}/d.db")
    app = create_app(settings)
    with serving(app) as base:
        response = httpx.post(f"{base}/api/messages", json={"type": "message"}, timeout=10)
    app.state.services.close()
    assert response.status_code in (404, 405)


def test_local_development_mode_takes_unsigned_requests_and_sends_without_a_token(
    tmp_path: object,
) -> None:
    with FakeTeams(members={m.teams_id: m for m in PEOPLE.values()}, expect_token=None) as fake:
        settings = load_settings(
            database_url=f"sqlite:///{tmp_path}/d.db", mode="development", teams_dev_no_auth=True
        )
        from tests.slack_world import seed

        seed(settings)
        app = create_app(settings)
        world = TeamsWorld("", fake, None, None, app.state.services)  # type: ignore[arg-type]
        with serving(app) as base:
            # as the Bot Framework Emulator sends it: a conversation with no type, one to one
            activity = world.base("ana", "message", {"id": "emulator-1"}) | {"text": "deals"}
            response = httpx.post(f"{base}/api/messages", json=activity, timeout=10)
            assert response.status_code == 200
            (reply,) = fake.wait_for("reply")
            assert reply.conversation == "emulator-1" and fake.calls_for("create") == []
        app.state.services.close()
    assert "authorization" not in reply.headers
    assert "Acme EU" in reply.text


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"teams_app_id": APP_ID}, "DEALBOT_TEAMS_APP_PASSWORD is not"),
        ({"teams_app_id": APP_ID, "teams_app_password": "test-app-password"}, "DEALBOT_TEAMS_TENANT_ID is required"),
        ({"teams_app_password": "test-app-password"}, "DEALBOT_TEAMS_APP_ID is not"),
        ({"teams_dev_no_auth": True}, "refused in production"),
        ({"teams_dev_no_auth": True, "mode": "development", "teams_app_id": APP_ID,
          "teams_app_password": "test-app-password", "teams_tenant_id": "t"}, "only for local development"),
        ({"teams_app_id": APP_ID, "teams_app_password": "changeme", "teams_tenant_id": "t"}, "placeholder"),
        ({"teams_app_type": "Sideways"}, "DEALBOT_TEAMS_APP_TYPE"),
    ],
)  # fmt: skip
def test_teams_settings_that_cannot_work_stop_start_up_with_one_line(
    settings: dict, says: str
) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(**settings)
    assert says in str(error.value) and "\n" not in str(error.value)


def test_teams_settings_that_work() -> None:
    multi = load_settings(
        teams_app_id=APP_ID, teams_app_password="test-app-password", teams_app_type="multitenant"
    )
    assert multi.teams_enabled and multi.teams_app_type == "MultiTenant"
    local = load_settings(mode="development", teams_dev_no_auth=True, teams_app_id="")
    assert local.teams_enabled and local.teams_app_id is None
    assert not load_settings().teams_enabled
