"""The migrations at head and the models agree, and the schema downgrades to base."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
from collections.abc import Iterator
from decimal import Decimal

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


_SERIAL = itertools.count(1)


def _insert(conn: sa.Connection, table: str, **values) -> int:
    """A row with ``values`` and a plain value in each other required column (a row of
    its own for each required foreign key)."""
    reflected = sa.Table(table, sa.MetaData(), autoload_with=conn)
    row = dict(values)
    for column in reflected.columns:
        if column.name in row or column.nullable or column.primary_key:
            continue
        if column.foreign_keys:
            target = next(iter(column.foreign_keys)).column.table.name
            row[column.name] = _insert(conn, target)
            continue
        python_type = column.type.python_type
        if python_type is bool:
            row[column.name] = False
        elif python_type in (int, float, Decimal):
            row[column.name] = 1
        elif python_type is dt.datetime:
            row[column.name] = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        elif python_type is dt.date:
            row[column.name] = dt.date(2026, 1, 1)
        elif python_type in (dict, list):
            row[column.name] = []
        else:
            row[column.name] = f"{column.name[:3]}{next(_SERIAL)}"
    return conn.execute(sa.insert(reflected).values(row)).inserted_primary_key[0]


def test_labels_stored_as_singulars_become_the_plural_shown_and_the_singular(
    empty_database_url,
):
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0015")
    engine = make_engine(empty_database_url)
    with engine.begin() as conn:
        agreement = _insert(conn, "agreements", currency="EUR", renewal="none", status="active")
        version = _insert(conn, "scope_versions", agreement_id=agreement)
        for ref, label in (("1.1", "release"), ("1.2", "status"), ("1.3", None)):
            _insert(
                conn,
                "clauses",
                scope_version_id=version,
                ref=ref,
                kind="included",
                cap_unit="count",
                cap_limit=4,
                cap_period="month",
                cap_unit_label=label,
            )
        cap = {"unit": "count", "limit": "2", "period": "month", "unit_label": "release"}
        _insert(
            conn,
            "annexes",
            agreement_id=agreement,
            state="draft",
            changes=[{"op": "modify", "ref": "1.1", "fields": {"cap": cap}}],
        )
    command.upgrade(config, "0016")
    with engine.connect() as conn:
        labels = conn.execute(
            sa.text("SELECT ref, cap_unit_label, cap_unit_label_singular FROM clauses ORDER BY ref")
        ).all()
        changes = conn.execute(sa.text("SELECT changes FROM annexes")).scalar_one()
    assert [tuple(row) for row in labels] == [
        ("1.1", "releases", "release"),
        ("1.2", "status", "status"),
        ("1.3", None, None),
    ]
    changes = json.loads(changes) if isinstance(changes, str) else changes
    assert changes[0]["fields"]["cap"]["unit_label"] == "releases"
    assert changes[0]["fields"]["cap"]["unit_label_singular"] == "release"
    command.downgrade(config, "0015")
    with engine.connect() as conn:
        assert (
            conn.execute(
                sa.text("SELECT cap_unit_label FROM clauses WHERE ref = '1.1'")
            ).scalar_one()
            == "release"
        )
    engine.dispose()


def test_refs_told_apart_only_by_case_before_keep_their_rows_under_folded_skeletons(
    empty_database_url,
):
    from contracts_app.identifiers import skeleton

    config = alembic_config(empty_database_url)
    command.upgrade(config, "0019")
    engine = make_engine(empty_database_url)
    with engine.begin() as conn:
        agreement = _insert(conn, "agreements", currency="EUR", renewal="none", status="active")
        other = _insert(conn, "agreements", currency="EUR", renewal="none", status="active")
        # as the skeletons before 0020 had them: case told them apart
        task = {"state": "in_scope", "verdict": "in_scope", "verdict_detail": {}, "pauses": []}
        first = _insert(
            conn, "tasks", agreement_id=agreement, ref="NUL-1", ref_skeleton="NUL-l", **task
        )
        second = _insert(
            conn, "tasks", agreement_id=agreement, ref="nul-1", ref_skeleton="nul-l", **task
        )
        elsewhere = _insert(
            conn, "tasks", agreement_id=other, ref="nul-1", ref_skeleton="nul-l", **task
        )
    command.upgrade(config, "0020")
    with engine.connect() as conn:
        stored = dict(conn.execute(sa.text("SELECT id, ref_skeleton FROM tasks")).all())
    folded = skeleton("NUL-1")
    assert folded == skeleton("nul-1")
    assert stored == {first: folded, second: f"{folded}#{second}", elsewhere: folded}
