"""The migrations at head and the models agree, and the schema downgrades to base."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url

import contracts_app.models  # noqa: F401
from contracts_app.db import Base, make_engine, normalise_database_url
from contracts_app.schema_migrations import alembic_config


@pytest.fixture
def empty_database_url(tmp_path) -> Iterator[str]:
    """A database of its own, so that migrating it leaves the suite's database alone."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    url = make_url(normalise_database_url(base))
    name = f"{url.database}_migrations"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrations_at_head_match_the_models(empty_database_url):
    command.upgrade(alembic_config(empty_database_url), "head")
    engine = make_engine(empty_database_url)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    engine.dispose()
    assert diff == []


def test_migrations_downgrade_to_base_and_up_again(empty_database_url):
    config = alembic_config(empty_database_url)
    command.upgrade(config, "head")
    assert {"agreements", "scope_versions", "clauses"} <= _table_names(empty_database_url)
    command.downgrade(config, "base")
    assert _table_names(empty_database_url) <= {"alembic_version"}
    command.upgrade(config, "head")
    assert "agreements" in _table_names(empty_database_url)
