"""Reads never wait for writers: on SQLite only writers take the write lock up front."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from contracts_app.db import db
from contracts_app.tasks.models import Task
from tests.factories import make_agreement, member_user, token_for

pytestmark = pytest.mark.committed

CHECK = {
    "title": "Outage",
    "category": "support.incident",
    "system": "shop-web",
    "date": "2026-03-10",
    "hours": "4",
}
TASK = CHECK | {"ref": "INC-1"}


@pytest.fixture(autouse=True)
def _clean(clean_database, dialect):
    if dialect != "sqlite":
        pytest.skip("SQLite's database-wide write lock; PostgreSQL readers never wait for it")
    yield


@pytest.fixture
def contributor_headers() -> tuple[str, dict[str, str]]:
    agreement = make_agreement()
    headers = token_for(member_user(agreement, "customer", "contributor"))
    code = agreement.code
    db.session.commit()
    db.session.remove()  # each request below begins its own transaction
    return code, headers


@contextmanager
def begins() -> Iterator[list[str]]:
    """The BEGIN statements the application sends while the block runs."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_rest) -> None:
        if statement.startswith("BEGIN"):
            seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
        db.session.remove()


@contextmanager
def write_lock_held_elsewhere() -> Iterator[None]:
    """Another connection holds SQLite's write lock (a writer in the middle of its work)."""
    path = make_url(str(db.engine.url)).database
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_reads_and_the_dry_run_answer_while_a_writer_holds_the_lock(client, contributor_headers):
    code, headers = contributor_headers
    with write_lock_held_elsewhere():
        with begins():
            scope = client.get(f"/api/v1/agreements/{code}/scope", headers=headers)
        with begins():
            tasks = client.get(f"/api/v1/agreements/{code}/tasks", headers=headers)
        with begins():
            check = client.post(
                f"/api/v1/agreements/{code}/scope-check", json=CHECK, headers=headers
            )
    assert scope.status_code == 200, scope.json
    assert tasks.status_code == 200, tasks.json
    assert check.status_code == 200 and check.json["verdict"] == "in_scope", check.json


def test_reads_begin_deferred_and_writers_take_the_write_lock_up_front(client, contributor_headers):
    code, headers = contributor_headers
    with begins() as read:
        assert client.get(f"/api/v1/agreements/{code}/scope", headers=headers).status_code == 200
    with begins() as dry_run:
        response = client.post(
            f"/api/v1/agreements/{code}/scope-check", json=CHECK, headers=headers
        )
        assert response.status_code == 200
    with begins() as write:
        response = client.post(f"/api/v1/agreements/{code}/tasks", json=TASK, headers=headers)
        assert response.status_code == 201, response.json
    assert read == ["BEGIN"] and dry_run == ["BEGIN"]
    assert write == ["BEGIN IMMEDIATE"]
    assert db.session.scalar(sa.select(sa.func.count(Task.id))) == 1


def test_a_request_leaves_no_deferred_mode_behind(client, contributor_headers):
    """Work after a read, outside any request (a job, the CLI), takes the write lock again."""
    code, headers = contributor_headers
    client.get(f"/api/v1/agreements/{code}/scope", headers=headers)
    db.session.remove()
    with begins() as after:
        db.session.scalar(sa.select(sa.func.count(Task.id)))
    assert after == ["BEGIN IMMEDIATE"]
