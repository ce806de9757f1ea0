"""Every captured Slack request body, signed and posted to the running app: 2xx when signed
right and fresh; 401 with a wrong signature or a timestamp ten minutes old (a replay)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.slack_world import SlackWorld, sign, slack_world

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "slack"
INDEX = json.loads((FIXTURES / "_INDEX.json").read_text())


def _body(entry: dict[str, str]) -> tuple[bytes, str]:
    raw = (FIXTURES / entry["file"]).read_bytes()
    wire = entry["wire_format"]
    if wire.startswith("application/json"):
        return raw, "application/json"
    if "payload=" in wire:
        from urllib.parse import urlencode

        return urlencode({"payload": raw.decode()}).encode(), "application/x-www-form-urlencoded"
    return raw.strip(), "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackWorld]:
    url = f"sqlite:///{tmp_path_factory.mktemp('fixtures') / 'dealbot.db'}"
    with slack_world(url) as w:
        yield w


def test_the_index_lists_every_request_body() -> None:
    bodies = {p.name for p in FIXTURES.glob("test_*")}
    assert bodies == {entry["file"] for entry in INDEX}
    assert len(bodies) >= 25


@pytest.mark.parametrize("entry", INDEX, ids=[e["file"] for e in INDEX])
def test_signed_bodies_are_acknowledged(world: SlackWorld, entry: dict[str, str]) -> None:
    body, content_type = _body(entry)
    response = world.post(body, content_type)
    assert 200 <= response.status_code < 300, response.text
    if entry["payload_type"] == "url_verification":
        assert json.loads(body)["challenge"] in response.text


@pytest.mark.parametrize("entry", INDEX, ids=[e["file"] for e in INDEX])
def test_forged_and_replayed_bodies_are_refused(world: SlackWorld, entry: dict[str, str]) -> None:
    body, content_type = _body(entry)
    forged = sign(body, secret="not-the-secret")
    assert world.post(body, content_type, forged).status_code == 401
    stale = sign(body, timestamp=int(time.time()) - 600)
    assert world.post(body, content_type, stale).status_code == 401
    tampered = sign(body)
    assert world.post(body + b" ", content_type, tampered).status_code == 401
