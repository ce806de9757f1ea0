"""Alembic environment: the URL comes from the caller (`dealbot db upgrade`), never from a file."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from storage import tables  # noqa: F401  (registers the tables)
from storage.db import create_engine_for

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine_for(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
