"""Schema migrations with alembic: `dealbot db upgrade` and the tests call these."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config

from storage.db import normalise_url

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to the latest schema; running it again changes nothing.

    Replicas starting together each call it: on PostgreSQL they take turns (an advisory lock),
    so the first migrates and the others find the schema current instead of racing it.
    """
    with _one_migration_at_a_time(url):
        command.upgrade(alembic_config(url), revision)


@contextmanager
def _one_migration_at_a_time(url: str) -> Iterator[None]:
    from sqlalchemy import func, select

    from storage.db import create_engine_for
    from storage.job_locks import lock_key

    if not normalise_url(url).startswith("postgresql"):
        yield
        return
    engine = create_engine_for(url)
    key = lock_key("migrations")
    try:
        with engine.connect() as conn:
            conn.execute(select(func.pg_advisory_lock(key)))
            conn.commit()
            try:
                yield
            finally:
                conn.execute(select(func.pg_advisory_unlock(key)))
                conn.commit()
    finally:
        engine.dispose()


def current(url: str) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    from storage.db import create_engine_for

    engine = create_engine_for(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
