"""Debian's chromium driven by Playwright, for tests of the app's pages.

Without chromium the browser tests are skipped locally, but fail in CI (CI=true), as the
PostgreSQL cases do: a CI machine that lost its browser must not pass by skipping them.
Screenshots go to $DEALBOT_TEST_ARTIFACTS, or test-artifacts/ at the repository root.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str:
    """The chromium executable, or a skip (locally) / failure (CI=true) naming what is missing."""
    found = shutil.which("chromium")
    if found:
        return found
    reason = "chromium is not installed (apt-get install chromium); the browser tests need it"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}, and CI=true: CI must run them (.ci/run installs it)")
    pytest.skip(reason)


def artifacts_dir(name: str) -> Path:
    base = Path(os.environ.get("DEALBOT_TEST_ARTIFACTS") or REPO_ROOT / "test-artifacts")
    folder = base / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless chromium for the whole module."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
