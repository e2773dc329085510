"""Test set-up: one migrated database per run, one rolled-back transaction per test.

Every test runs against SQLite; with TEST_DATABASE_URL set (a PostgreSQL URL) the
same tests run against PostgreSQL instead.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, g
from flask.testing import FlaskClient

from contracts_app import create_app
from contracts_app.db import db, make_engine, normalise_database_url
from contracts_app.schema_migrations import upgrade


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        url = normalise_database_url(url)
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    instance = tmp_path_factory.mktemp("instance")
    os.environ.setdefault("INSTANCE_PATH", str(instance))
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret-key-not-for-production",
            "WTF_CSRF_ENABLED": False,
            "MAIL_BACKEND": "locmem",
            # many tests sign in from one address; the per-account limit stays as configured
            "LOGIN_LIMIT_PER_ADDRESS": "100000 per minute",
            # renders are queued and answered 202 at once; their own tests run them
            "PDF_RENDER_ANSWER_SECONDS": 0,
        }
    )

    # Tests keep one app context open around their requests (so that services can be
    # called directly); start each request without the previous request's signed-in user
    # and locale.
    @app.before_request
    def _forget_previous_user() -> None:
        g.pop("_login_user", None)
        g.pop("_flask_babel", None)  # and the previous request's locale

    return app


@pytest.fixture(autouse=True)
def _no_alarm_left() -> Iterator[None]:
    """A render child arms an alarm to end itself: run in this process by mistake, it
    would end the whole test run a minute later."""
    yield
    assert signal.alarm(0) == 0, "the test left an alarm armed in the test process"


@pytest.fixture(autouse=True)
def _transaction(request: pytest.FixtureRequest) -> Iterator[None]:
    """Bind the session to one connection and roll everything back after the test."""
    app: Flask = request.getfixturevalue("app")
    if request.node.get_closest_marker("committed"):
        with app.app_context():
            yield
        return
    assert db.engine is not None
    connection = db.engine.connect()
    outer = connection.begin()
    db.session.remove()
    db.session.configure(bind=connection, join_transaction_mode="create_savepoint")
    ctx = app.app_context()
    ctx.push()
    try:
        yield
    finally:
        ctx.pop()
        db.session.remove()
        outer.rollback()
        connection.close()
        db.session.configure(bind=db.engine)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def dialect(app: Flask) -> str:
    assert db.engine is not None
    return db.engine.dialect.name


def truncate_all() -> None:
    """Empty every table (for tests that commit for real, e.g. with several connections)."""
    from contracts_app.db import Base

    assert db.engine is not None
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        else:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(sa.delete(table))


ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture
def clean_database(app: Flask) -> Iterator[None]:
    """For tests that commit for real: empty tables before and after."""
    truncate_all()
    yield
    db.session.remove()
    truncate_all()
