"""The `database_url` fixture gives a working, empty, private database on each backend."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect, text


def test_database_url_connects_and_answers_select_one(
    database_url: str, request: pytest.FixtureRequest
) -> None:
    backend = request.node.callspec.params["database_url"]
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("select 1")).scalar_one() == 1
            assert engine.dialect.name == {"sqlite": "sqlite", "postgres": "postgresql"}[backend]
            assert inspect(connection).get_table_names() == []
    finally:
        engine.dispose()


@pytest.mark.parametrize("attempt", [1, 2])
def test_tables_do_not_outlive_their_test(database_url: str, attempt: int) -> None:
    """The second attempt fails with "already exists" if the first one's database is reused."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("create table leak_probe (id integer primary key)"))
            connection.execute(
                text("insert into leak_probe (id) values (:attempt)"), {"attempt": attempt}
            )
    finally:
        engine.dispose()
