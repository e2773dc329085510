"""A request that only reads cannot write: it fails at once instead of racing writers."""

from __future__ import annotations

import pytest

from contracts_app.accounts.services import create_user
from contracts_app.db import db
from tests.factories import make_user


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_safe_request_that_writes_fails_at_once(app, method):
    with app.test_request_context("/agreements", method=method):
        app.preprocess_request()
        try:
            with pytest.raises(RuntimeError, match="only reads, but it wrote"):
                create_user("reader@example.com", "Reader", "a long enough password")
        finally:
            app.do_teardown_request()
    db.session.rollback()


def test_a_safe_request_may_read_and_a_post_may_write(app):
    user = make_user()
    with app.test_request_context("/agreements", method="GET"):
        app.preprocess_request()
        try:
            user.name = user.name  # an unchanged attribute is no write
            db.session.flush()
        finally:
            app.do_teardown_request()
    with app.test_request_context("/agreements", method="POST"):
        app.preprocess_request()
        try:
            create_user("writer@example.com", "Writer", "a long enough password")
            db.session.flush()
        finally:
            app.do_teardown_request()


def test_the_dry_run_is_marked_as_reading_only(app):
    assert app.view_functions["tasks_api.scope_check"].reads_only is True
    assert not getattr(app.view_functions["tasks_api.create_task"], "reads_only", False)
