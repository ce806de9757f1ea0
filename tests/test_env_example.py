""".env.example copied to .env as it is must start (empty secrets mean "not set")."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]


def _variables() -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    return {name.strip(): value.strip() for name, value in pairs}


def test_the_example_file_loads_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in _variables().items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.slack_bot_token is None and settings.slack_signing_secret is None


def test_the_example_file_lists_every_setting() -> None:
    listed = set(_variables())
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        choices = getattr(alias, "choices", None) or [f"DEALBOT_{name.upper()}"]
        assert listed & {str(c) for c in choices}, f"{name} is missing from .env.example"
