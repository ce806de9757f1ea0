"""DNS rebinding: a page on another site whose name points at 127.0.0.1 reads and posts nothing.

The browser then connects from loopback but sends the other site's name as `Host` (and as
`Origin` on a post); only the names this app answers to get the loopback shortcut.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.admin_access import host_listed, origin_allowed
from bot.app import create_app
from bot.services import Services
from bot.settings import Settings, SettingsError, load_settings
from tests.emulator_world import demo_world, token_of, transcript_size
from tests.live_server import serving

ADMIN = "a-long-enough-admin-token-for-tests"
ADMIN_PATHS = (
    "/dashboard",
    "/emulator",
    "/emulator/api/view?rep=1",
    "/api/reports/sla",
    "/metrics",
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Services]]:
    settings, services = demo_world(
        tmp_path_factory.mktemp("admin-hosts"),
        mode="development",
        delivery_enabled=False,
        scheduler_enabled=False,
        admin_token=ADMIN,
        public_hosts="dealbot.example.com, ops.example.com:8443",
    )
    yield settings, services
    services.close()


@pytest.fixture(scope="module")
def base(world: tuple[Settings, Services]) -> Iterator[str]:
    with serving(create_app(*world)) as url:
        yield url


def test_a_rebound_name_reads_no_admin_page(base: str) -> None:
    port = urlsplit(base).port
    for path in ADMIN_PATHS:
        rebound = httpx.get(base + path, headers={"Host": f"evil.example:{port}"})
        assert rebound.status_code == 403, path
        assert "DEALBOT_PUBLIC_HOSTS" in rebound.json()["detail"]
        for host in (f"localhost:{port}", f"127.0.0.1:{port}", "dealbot.example.com"):
            assert httpx.get(base + path, headers={"Host": host}).status_code == 200, (path, host)
        with_token = httpx.get(
            base + path,
            headers={"Host": f"evil.example:{port}", "Authorization": f"Bearer {ADMIN}"},
        )
        assert with_token.status_code == 200  # a browser never adds the token by itself


def test_a_rebound_page_cannot_post_to_the_emulator(base: str, world: tuple) -> None:
    _, services = world
    port = urlsplit(base).port
    token = token_of(httpx.get(base + "/emulator").text)
    body = {"rep": 1, "text": "/deals"}
    before = transcript_size(services)
    for host, origin in [
        (f"evil.example:{port}", f"http://evil.example:{port}"),  # Origin == Host, both theirs
        (f"127.0.0.1:{port}", f"http://evil.example:{port}"),
        (f"127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}"),  # another local server
        (f"127.0.0.1:{port}", "null"),
    ]:
        answer = httpx.post(
            base + "/emulator/api/say",
            json=body,
            headers={"Host": host, "Origin": origin, "X-Dealbot-Page-Token": token},
        )
        assert answer.status_code == 403, (host, origin)
    assert transcript_size(services) == before
    for origin in (f"http://localhost:{port}", "https://dealbot.example.com"):
        ok = httpx.post(
            base + "/emulator/api/say",
            json=body,
            headers={"Origin": origin, "X-Dealbot-Page-Token": token},
        )
        assert ok.status_code == 200, origin


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://127.0.0.1:8000", True),
        ("http://localhost:8000", True),
        ("http://[::1]:8000", True),
        ("http://localhost:8001", False),
        ("http://localhost", False),
        ("https://dealbot.example.com", True),
        ("http://dealbot.example.com:8080", True),  # listed without a port: any port
        ("https://ops.example.com:8443", True),
        ("https://ops.example.com", False),
        ("https://evil.example", False),
        ("https://dealbot.example.com.evil.example", False),
        ("ftp://localhost:8000", False),
        ("null", False),
        ("http://localhost:99999", False),
    ],
)
def test_origins(origin: str, allowed: bool) -> None:
    public = ("dealbot.example.com", "ops.example.com:8443")
    assert origin_allowed(origin, public_hosts=public, own_port=8000) is allowed


@pytest.mark.parametrize(
    ("host", "listed"),
    [
        ("localhost:8000", True),
        ("127.0.0.1", True),
        ("[::1]:8000", True),
        ("LOCALHOST", True),
        ("dealbot.example.com", True),
        ("ops.example.com:8443", True),
        ("ops.example.com:8444", False),
        ("evil.example:8000", False),
        ("127.0.0.1.nip.io", False),
        ("localhost:notaport", False),
        ("", False),
        (None, False),
    ],
)
def test_hosts(host: str | None, listed: bool) -> None:
    assert host_listed(host, ("dealbot.example.com", "ops.example.com:8443")) is listed


def test_the_token_can_be_required_of_loopback_too(world: tuple[Settings, Services]) -> None:
    settings, services = world
    strict = settings.model_copy(update={"admin_token_required": True})
    with TestClient(create_app(strict, services), client=("127.0.0.1", 5000)) as client:
        refused = client.get("/dashboard", headers={"Host": "localhost"})
        assert refused.status_code == 403
        assert "send Authorization: Bearer" in refused.json()["detail"]
        assert "this machine" not in refused.json()["detail"]
        authorised = client.get(
            "/dashboard", headers={"Host": "localhost", "Authorization": f"Bearer {ADMIN}"}
        )
        assert authorised.status_code == 200


def test_public_hosts_are_names_not_addresses_with_paths() -> None:
    assert load_settings(public_hosts=" a.example , b.example:8443 ").public_host_names == (
        "a.example",
        "b.example:8443",
    )
    for wrong in ("https://a.example", "a.example/dashboard", "a example", "a.example:port"):
        with pytest.raises(SettingsError, match="DEALBOT_PUBLIC_HOSTS: .* is not a host name"):
            load_settings(public_hosts=wrong)
