"""The Teams app package: manifest filled with the bot's id, icons of the sizes Teams wants, and
the commands the manifest advertises being the ones the bot understands; `dealbot teams ...`."""

from __future__ import annotations

import json
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.teams import translate
from bot.teams.package import FOLDER, PLACEHOLDER, manifest_for
from core.model import Team
from core.ports import TeamsConversation
from storage.db import create_engine_for
from storage.migrate import upgrade
from storage.uow import SqlUnitOfWork
from tests.test_teams_conversations import NOW

APP_ID = "1b2c3d4e-0000-1111-2222-333344445555"


def png_pixels(data: bytes) -> tuple[int, int, list[tuple[int, ...]]]:
    """Width, height and RGBA pixels of an 8-bit RGBA PNG with unfiltered rows (as drawn here)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (depth, colour) == (8, 6), "8-bit RGBA"
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        if data[at + 4 : at + 8] == b"IDAT":
            chunks.append(data[at + 8 : at + 8 + length])
        at += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    stride = 1 + 4 * width
    pixels = []
    for row in range(height):
        line = raw[row * stride : (row + 1) * stride]
        assert line[0] == 0, "rows are unfiltered"
        pixels += [tuple(line[1 + 4 * x : 5 + 4 * x]) for x in range(width)]
    return width, height, pixels


def test_the_package_holds_the_filled_manifest_and_both_icons(tmp_path: Path) -> None:
    out = tmp_path / "dealbot-teams.zip"
    assert main(["teams", "package", "--out", str(out), "--app-id", APP_ID.upper()]) == 0
    with zipfile.ZipFile(out) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        color = png_pixels(package.read("color.png"))
        outline = png_pixels(package.read("outline.png"))
    assert manifest["id"] == manifest["bots"][0]["botId"] == APP_ID
    assert "{{" not in json.dumps(manifest)
    assert color[:2] == (192, 192) and outline[:2] == (32, 32)
    assert all(p[3] == 255 for p in color[2])  # full colour: no see-through pixels
    assert {p for p in outline[2]} == {(255, 255, 255, 255), (0, 0, 0, 0)}  # white on clear


def test_the_manifest_keeps_teams_limits_and_offers_what_the_bot_understands() -> None:
    template = (FOLDER / "manifest.json").read_text(encoding="utf-8")
    assert template.count(PLACEHOLDER) == 2
    manifest: dict[str, Any] = manifest_for(APP_ID)
    assert manifest["manifestVersion"] == "1.16" and re.fullmatch(
        r"\d+\.\d+\.\d+", manifest["version"]
    )
    assert len(manifest["name"]["short"]) <= 30 and len(manifest["name"]["full"]) <= 100
    assert len(manifest["description"]["short"]) <= 80
    assert len(manifest["description"]["full"]) <= 4000
    assert re.fullmatch(r"#[0-9A-F]{6}", manifest["accentColor"])
    assert all(url.startswith("https://") for url in manifest["developer"].values() if "://" in url)
    (bot,) = manifest["bots"]
    assert bot["scopes"] == ["personal", "team"]
    (commands,) = bot["commandLists"]
    assert commands["scopes"] == ["personal", "team"]
    titles = [c["title"] for c in commands["commands"]]
    assert titles == ["deals", "log", "help"]
    for command in commands["commands"]:
        assert len(command["title"]) <= 32 and len(command["description"]) <= 128
        translate.text_command(1, command["title"])  # understood, not "doesn't know"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["teams", "package", "--app-id", "not-a-guid"], "is not a Microsoft App ID"),
        (["teams", "package"], "set DEALBOT_TEAMS_APP_ID"),
    ],
)
def test_a_package_that_cannot_be_made_is_one_line(
    args: list[str], says: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main([*args, "--out", str(tmp_path / "x.zip")]) == 2
    error = capsys.readouterr().err.strip()
    assert says in error and "\n" not in error
    assert not (tmp_path / "x.zip").exists()


def test_alerts_go_to_a_channel_dealbot_was_added_to(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import console

    monkeypatch.setattr(console, "width", 200)
    url = f"sqlite:///{tmp_path / 'dealbot.db'}"
    upgrade(url)
    engine = create_engine_for(url)
    with SqlUnitOfWork(engine) as uow:
        uow.teams.add(Team("Americas", alert_channel="C1"))
        reference = {
            "serviceUrl": "https://smba.example/",
            "conversation": {"id": "19:a@thread.tacv2"},
        }
        channel = TeamsConversation(
            "channel:19:a@thread.tacv2", reference, NOW, team_name="Sales", channel_name="General"
        )
        uow.teams_conversations.save(channel)
        uow.commit()
    base = ["--database-url", url, "teams"]
    assert main([*base, "alerts", "americas", "19:a@thread.tacv2"]) == 0
    assert "Americas's alerts now go to Teams channel 19:a@thread.tacv2" in capsys.readouterr().out
    assert main([*base, "channels"]) == 0
    listing = capsys.readouterr().out
    assert "Sales" in listing and "General" in listing and "Americas" in listing
    assert main([*base, "alerts", "Americas", "19:nowhere"]) == 2
    assert "not in a channel with id '19:nowhere'" in capsys.readouterr().err
    assert main([*base, "alerts", "EMEA", "19:a@thread.tacv2"]) == 2
    assert "no team named 'EMEA' (teams: Americas)" in capsys.readouterr().err
    with SqlUnitOfWork(engine) as uow:
        (team,) = uow.teams.list()
    assert team.teams_channel == "19:a@thread.tacv2" and team.alert_channel == "C1"
    assert main([*base, "alerts", "Americas", "--off"]) == 0
    with SqlUnitOfWork(engine) as uow:
        (team,) = uow.teams.list()
    assert team.teams_channel is None
    engine.dispose()
