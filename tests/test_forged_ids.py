"""Forged numbers in controls and requests: a clear refusal, never an overflow or a 500."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from bot.app import create_app
from bot.services import Services
from bot.settings import Settings
from core.commands import ListView, LogLine, log_pick_value, parse_control
from core.ids import MAX_ID, parse_id
from tests.emulator_world import demo_world, token_of, transcript_size
from tests.live_server import serving

HUGE = str(2**64)
TOO_BIG = str(MAX_ID + 1)


@pytest.mark.parametrize(
    ("text", "number"),
    [("1", 1), (str(MAX_ID), MAX_ID), ("0", None), (TOO_BIG, None), (HUGE, None),
     ("²", None), ("١٢", None), ("12²", None), ("", None), ("-1", None), (" 1", None)],
)  # fmt: skip
def test_ids(text: str, number: int | None) -> None:
    assert parse_id(text) == number


@pytest.mark.parametrize("bad", ["²", "١", TOO_BIG, HUGE, "0"])
@pytest.mark.parametrize(
    ("control", "value"),
    [
        ("dealbot.undo", "{}"),
        ("dealbot.lead_accept", "{}|x"),
        ("dealbot.lead_reassign", "7|{}"),
        ("dealbot.log_pick", "{}|called them"),
        ("dealbot.log", f"{uuid.uuid4()}|{{}}|1::"),
        ("dealbot.draft", f"{uuid.uuid4()}|{{}}|1::"),
        ("dealbot.draft_approve", "{}|1"),
    ],
)
def test_controls_with_forged_ids_are_unknown(control: str, value: str, bad: str) -> None:
    assert parse_control(3, control, value.format(bad)) is None


@pytest.mark.parametrize(
    ("value", "command"),
    [
        ("7|acme called", LogLine(3, "acme called", 7)),  # a pick list sent before tokens
        (
            log_pick_value(7, "ab12", "acme: called|left"),
            LogLine(3, "acme: called|left", 7, "ab12"),
        ),
        ("7:" + "x" * 5000 + "|acme called", LogLine(3, "acme called", 7, "x" * 64)),
    ],
)
def test_a_pick_list_value_carries_its_token(value: str, command: LogLine) -> None:
    assert parse_control(3, "dealbot.log_pick", value) == command


def test_a_forged_page_number_is_the_first_page() -> None:
    assert ListView.decode("²::").page == 1 and ListView.decode(f"{HUGE}::").page == 1


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Services]]:
    settings, services = demo_world(
        tmp_path_factory.mktemp("forged-ids"),
        mode="development",
        delivery_enabled=False,
        scheduler_enabled=False,
    )
    yield settings, services
    services.close()


def test_huge_ids_in_requests_are_refused_clearly(world: tuple[Settings, Services]) -> None:
    _, services = world
    with serving(create_app(*world)) as base:
        token = token_of(httpx.get(base + "/emulator").text)
        before = transcript_size(services)
        for query in (f"rep={HUGE}", f"rep=1&team={HUGE}", "rep=0"):
            answer = httpx.get(f"{base}/emulator/api/view?{query}")
            assert answer.status_code == 422, query
        posts = [
            ("/emulator/api/say", {"rep": 2**64, "text": "/deals"}),
            ("/emulator/api/press", {"rep": 1, "entry": 2**63, "action_id": "x", "value": "y"}),
            ("/emulator/api/form", {"rep": 1, "entry": 2**40, "values": {}}),
            ("/emulator/api/clock", {"rep": 2**64, "minutes": 5}),
            ("/dashboard/api/outbox/retry", {"ids": [2**64]}),
        ]
        for path, body in posts:
            answer = httpx.post(base + path, json=body, headers={"X-Dealbot-Page-Token": token})
            assert answer.status_code < 500, path
            assert answer.status_code == 400 or answer.json()["ok"] is False, path
        assert transcript_size(services) == before
