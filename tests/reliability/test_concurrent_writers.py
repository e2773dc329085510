"""Many writers at once: no "database is locked" (SQLite) and no lost write (either database)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa

from contracts_app.agreements.access import membership_of
from contracts_app.db import db
from contracts_app.tasks.models import Task
from contracts_app.tasks.services import TaskInput, record_task
from tests.factories import make_agreement, manager_of

pytestmark = pytest.mark.committed

WRITERS, TASKS_EACH = 8, 10


@pytest.fixture(autouse=True)
def _clean(clean_database):
    yield


def test_concurrent_writers_all_succeed_and_nothing_is_lost(app):
    agreement = make_agreement()
    manager = manager_of(agreement)
    agreement_id, manager_id = agreement.id, manager.id
    db.session.commit()  # this thread must not hold SQLite's write lock while the writers run
    errors: list[BaseException] = []
    barrier = threading.Barrier(WRITERS)

    def writer(number: int) -> None:
        with app.app_context():
            try:
                from contracts_app.accounts.models import User
                from contracts_app.agreements.models import Agreement

                mine = db.session.get(Agreement, agreement_id)
                user = db.session.get(User, manager_id)
                membership = membership_of(user, agreement_id)
                db.session.commit()  # end the read before waiting: it holds SQLite's lock
                barrier.wait()
                for n in range(TASKS_EACH):
                    record_task(
                        mine,
                        membership,
                        TaskInput(
                            ref=f"W{number}-{n}",
                            title="Concurrent",
                            day=dt.date(2026, 3, 1),
                            category="support.incident",
                            system="shop-web",
                            hours=Decimal(1),
                        ),
                        user,
                    )
            except BaseException as exc:  # collected and reported by the test
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    db.session.expire_all()
    count = db.session.scalar(
        sa.select(sa.func.count(Task.id)).where(Task.agreement_id == agreement_id)
    )
    assert count == WRITERS * TASKS_EACH
    # The cap (120 h a month) was counted once per task, in the order the writers got the lock.
    in_scope = db.session.scalar(
        sa.select(sa.func.count(Task.id)).where(
            Task.agreement_id == agreement_id, Task.state == "in_scope"
        )
    )
    assert in_scope == min(WRITERS * TASKS_EACH, 120)
