"""The emulator's and the dashboard's HTTP edges: who may use them, forged posts, bad input."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.services import Services, build_services
from bot.settings import Settings, SettingsError, load_settings
from storage.delivery import OutboxQueue
from storage.migrate import upgrade
from tests.emulator_world import demo_world, token_of, transcript_size
from tests.live_server import serving

ADMIN = "a-long-enough-admin-token-for-tests"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Services]]:
    settings, services = demo_world(
        tmp_path_factory.mktemp("emulator-http"),
        mode="development",
        delivery_enabled=False,
        scheduler_enabled=False,
        admin_token=ADMIN,
    )
    yield settings, services
    services.close()


@pytest.fixture(scope="module")
def base(world: tuple[Settings, Services]) -> Iterator[str]:
    settings, services = world
    with serving(create_app(settings, services)) as url:
        yield url


def first_rep(services: Services) -> int:
    with services.uow_factory() as uow:
        return next(r.id for r in uow.reps.list() if r.id is not None)


def test_pages_carry_a_strict_content_security_policy(base: str) -> None:
    for path in ("/emulator", "/dashboard"):
        answer = httpx.get(base + path)
        assert answer.status_code == 200
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "<script>" not in answer.text  # scripts come from /static only
        assert re.search(r'<script src="/static/\w+\.js" defer></script>', answer.text)


def test_posts_need_the_page_token_and_this_origin(base: str, world: tuple) -> None:
    _, services = world
    token = token_of(httpx.get(base + "/emulator").text)
    body = {"rep": first_rep(services), "text": "/deals"}
    before = transcript_size(services)
    refused = [
        httpx.post(base + "/emulator/api/say", json=body),
        httpx.post(base + "/emulator/api/say", json=body, headers={"X-Dealbot-Page-Token": "x"}),
        httpx.post(
            base + "/emulator/api/say",
            json=body,
            headers={"X-Dealbot-Page-Token": token, "Origin": "https://evil.example"},
        ),
        httpx.post(base + "/dashboard/api/outbox/retry", json={"ids": [1]}),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403, 403]
    assert transcript_size(services) == before
    ok = httpx.post(
        base + "/emulator/api/say",
        json=body,
        headers={"X-Dealbot-Page-Token": token, "Origin": base},
    )
    assert ok.status_code == 200 and transcript_size(services) == before + 2  # typed + answer


@pytest.mark.parametrize(
    ("path", "body", "says"),
    [
        ("say", {"rep": 99_999, "text": "/deals"}, "Pick someone from the list of reps."),
        ("say", {"rep": "abc", "text": "/deals"}, "rep:"),
        ("press", {"rep": "REP", "entry": 99_999, "action_id": "dealbot.done", "value": "x"},
         "not there any more"),
        ("form", {"rep": "REP", "entry": 99_999, "values": {}}, "not there any more"),
        ("clock", {"rep": "REP", "minutes": 0}, "minutes:"),
        ("clock", {"rep": "REP"}, "Say how many minutes"),
        ("leads", {"territory": "US-East"}, "at least a name, an email or a company"),
        ("leads", {"email": "not an address"}, "email"),
    ],
)  # fmt: skip
def test_bad_input_is_a_clear_400_that_changes_nothing(
    base: str, world: tuple, path: str, body: dict, says: str
) -> None:
    _, services = world
    token = token_of(httpx.get(base + "/emulator").text)
    body = {k: first_rep(services) if v == "REP" else v for k, v in body.items()}
    before, clock = transcript_size(services), services.clock.now()
    leads = OutboxQueue(services.engine).counts()
    answer = httpx.post(
        f"{base}/emulator/api/{path}", json=body, headers={"X-Dealbot-Page-Token": token}
    )
    assert answer.status_code == 400
    assert says in answer.json()["detail"]
    assert transcript_size(services) == before
    assert OutboxQueue(services.engine).counts() == leads
    assert services.clock.now() - clock < timedelta(minutes=1)  # ticking, not moved


def test_other_hosts_need_the_admin_token(world: tuple[Settings, Services]) -> None:
    settings, services = world
    with TestClient(create_app(settings, services)) as client:  # its client is "testclient"
        for path in ("/emulator", "/dashboard", "/emulator/api/view?rep=1"):
            assert client.get(path).status_code == 403
            authorised = client.get(path, headers={"Authorization": f"Bearer {ADMIN}"})
            assert authorised.status_code == 200


def test_the_emulator_is_off_in_production_and_never_beside_slack(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    upgrade(url)
    settings = Settings(database_url=url)
    assert not settings.emulator_enabled
    services = build_services(settings)
    try:
        with TestClient(create_app(settings, services)) as client:
            assert client.get("/emulator").status_code == 404
    finally:
        services.close()
    slack = {"slack_bot_token": "x" + "oxb-1-2", "slack_signing_secret": "s" * 20}
    assert not load_settings(mode="demo", **slack).emulator_enabled
    with pytest.raises(SettingsError, match="DEALBOT_EMULATOR stands in for Slack and Teams"):
        load_settings(mode="demo", emulator=True, **slack)


def test_the_emulator_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEALBOT_MODE", "production")
    monkeypatch.setenv("DEALBOT_EMULATOR", "true")
    with pytest.raises(SettingsError, match="DEALBOT_EMULATOR is refused in production") as caught:
        load_settings(database_url="sqlite://")
    assert "\n" not in str(caught.value)
    for mode in ("demo", "development"):
        assert load_settings(database_url="sqlite://", mode=mode).emulator_enabled


def test_retrying_a_dead_letter_from_the_dashboard_revives_it_and_is_audited(
    base: str, world: tuple[Settings, Services]
) -> None:
    _, services = world
    queue = OutboxQueue(services.engine)
    with services.uow_factory() as uow:
        uow.outbox.enqueue(
            key="test:dead", platform="slack", target="C1", payload={}, at=services.clock.now()
        )
        uow.commit()
    claim = queue.claim(worker="t", at=services.clock.now(), limit=100, lease=timedelta(minutes=1))
    (dead,) = [i for i in claim.items if i.key == "test:dead"]
    for item in claim.items:
        if item.id == dead.id:
            queue.mark_dead(item.id, token=claim.token, error="channel_not_found")
        else:
            queue.release(item.id, token=claim.token, at=services.clock.now())
    page = httpx.get(base + "/dashboard").text
    assert f'data-retry="{dead.id}"' in page and "channel_not_found" in page
    answer = httpx.post(
        base + "/dashboard/api/outbox/retry",
        json={"ids": [dead.id, 99_999]},
        headers={"X-Dealbot-Page-Token": token_of(page)},
    )
    assert answer.json()["revived"] == [dead.id]
    assert "Not dead, left alone: 99999" in answer.json()["notice"]
    assert queue.landed("test:dead") == ("pending", None)
    with services.uow_factory() as uow:
        entry = uow.audit.latest(f"outbox:{dead.id}")
    assert entry is not None and entry.action == "outbox.retry"
    assert entry.actor == "dashboard (127.0.0.1)" and entry.after == {"status": "pending"}
