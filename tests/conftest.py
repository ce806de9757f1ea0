"""Shared fixtures: every storage and handler test that takes `database_url` runs on each backend.

SQLite always runs. PostgreSQL runs when DEALBOT_TEST_POSTGRES_URL points at a server where the
URL's user may create databases (`scripts/test` starts a throwaway one and sets it). Without the
variable the PostgreSQL cases are skipped locally, but fail in CI (CI=true), so a broken CI set-up
cannot pass by skipping half the suite.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url

from tests.fake_slack import FakeSlack

POSTGRES_URL_VARIABLE = "DEALBOT_TEST_POSTGRES_URL"


def _running_in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "faults: replicas killed mid-delivery against a failing fake Slack (slow)"
    )


@pytest.fixture(scope="session")
def postgres_server_url() -> URL:
    """The URL of the test server, or a skip (locally) / failure (in CI) when none is configured."""
    raw = os.environ.get(POSTGRES_URL_VARIABLE, "").strip()
    if not raw:
        if _running_in_ci():
            pytest.fail(
                f"{POSTGRES_URL_VARIABLE} is not set, but CI=true: CI must run the PostgreSQL "
                "tests. Run the suite through scripts/test, which starts a server."
            )
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set; scripts/test starts a PostgreSQL server")
    return make_url(raw)


@pytest.fixture(scope="session")
def postgres_admin_engine(postgres_server_url: URL) -> Iterator[Engine]:
    """An autocommit engine on the server's own database, for CREATE and DROP DATABASE."""
    engine = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT", pool_size=1)
    yield engine
    engine.dispose()


def fresh_postgres_url(admin: Engine, server_url: URL) -> Iterator[str]:
    """A new empty database on the test server, dropped afterwards."""
    name = f"dealbot_t_{uuid.uuid4().hex[:16]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
    try:
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        # FORCE ends connections a test left open (an engine it did not dispose of).
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of a new, empty database on each backend; the storage layer creates the tables."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'dealbot.db'}"
        return
    server_url: URL = request.getfixturevalue("postgres_server_url")
    admin: Engine = request.getfixturevalue("postgres_admin_engine")
    yield from fresh_postgres_url(admin, server_url)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a new database of each backend, with the tables made (modules may override)."""
    from storage.db import create_engine_for, create_schema

    engine = create_engine_for(database_url)
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A local fake of the Slack Web API on a free port (tests/fake_slack.py), stopped afterwards."""
    with FakeSlack() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _no_background_clocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apps built in tests run no digest clock, delivery or drafting worker unless a test asks for
    one: a tick landing on a real minute would otherwise queue digests mid-test."""
    monkeypatch.setenv("DEALBOT_SCHEDULER_ENABLED", "false")
    monkeypatch.setenv("DEALBOT_DELIVERY_ENABLED", "false")
    monkeypatch.setenv("DEALBOT_DRAFTING_ENABLED", "false")
