"""manifest.yaml against Slack's manifest schema, and against what the app actually serves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.slack.app import EVENTS_PATH

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT.parent / "shared" / "fixtures" / "schemas"


def _manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "manifest.yaml").read_text())
    return loaded


@pytest.mark.parametrize("schema", ["manifest.schema.1.0.0.json", "manifest.schema.2.0.0.json"])
def test_manifest_is_valid_against_slacks_schema(schema: str) -> None:
    loaded = json.loads((SCHEMAS / schema).read_text())
    validator = jsonschema.Draft7Validator(loaded)
    errors = sorted(validator.iter_errors(_manifest()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_the_schema_catches_a_broken_manifest() -> None:
    loaded = json.loads((SCHEMAS / "manifest.schema.1.0.0.json").read_text())
    broken = _manifest()
    broken["features"]["slash_commands"][0]["command"] = (
        "deals without a slash and far too long" * 3
    )
    del broken["display_information"]["name"]
    assert list(jsonschema.Draft7Validator(loaded).iter_errors(broken))


def test_every_url_is_the_one_events_endpoint() -> None:
    manifest = _manifest()
    urls = [c["url"] for c in manifest["features"]["slash_commands"]]
    urls += [manifest["settings"]["event_subscriptions"]["request_url"]]
    urls += [manifest["settings"]["interactivity"]["request_url"]]
    urls += [manifest["settings"]["interactivity"]["message_menu_options_url"]]
    assert {url.split(".com", 1)[1] for url in urls} == {EVENTS_PATH}


def test_commands_and_scopes_are_the_ones_the_features_need() -> None:
    manifest = _manifest()
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/deals", "/log"]
    assert all(c["usage_hint"] for c in manifest["features"]["slash_commands"])
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "commands", "chat:write", "users:read", "users:read.email",
        "channels:history", "groups:history", "im:history", "im:write",
    }  # fmt: skip
