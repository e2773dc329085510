from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from contracts_app.agreements.access import membership_of
from contracts_app.tasks.services import TaskInput, record_task
from tests.factories import clause, make_agreement, manager_of

SCOPE = [
    clause("1.1", ["support"], title="General support", keywords=["helpdesk"]),
    clause(
        "1.2",
        ["support.incident"],
        title="Incident resolution",
        cap={"unit": "hours", "limit": "10", "period": "month"},
        per_task_limit="8",
        keywords=["outage", "error 500"],
    ),
    clause("1.3", ["support.incident.security"], kind="excluded", title="Security incidents"),
    clause(
        "1.4",
        ["support.incident"],
        kind="excluded",
        title="Incidents caused by the customer",
        systems=["legacy-erp"],
    ),
    clause(
        "2.1",
        ["maintenance"],
        title="Maintenance of the shop",
        systems=["shop-web", "shop-api"],
        keywords=["patch", "upgrade"],
    ),
    clause(
        "3.1",
        ["reporting"],
        title="Monthly report",
        cap={"unit": "count", "limit": "2", "period": "quarter"},
    ),
    clause(
        "4.1",
        ["change.small"],
        title="Small changes",
        cap={"unit": "amount", "limit": "1000", "period": "year"},
    ),
    clause(
        "9.1",
        ["development"],
        kind="excluded",
        title="New features",
        keywords=["new feature", "redesign"],
    ),
]


@pytest.fixture
def agreement():
    return make_agreement(start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), scope=SCOPE)


@pytest.fixture
def record(agreement):
    manager = manager_of(agreement)
    counter = iter(range(1, 10_000))

    def _record(day=dt.date(2026, 3, 10), **fields):
        for name in ("hours", "amount"):
            if name in fields and fields[name] is not None:
                fields[name] = Decimal(str(fields[name]))
        return record_task(
            agreement,
            membership_of(manager, agreement.id),
            TaskInput(
                ref=fields.pop("ref", f"T-{next(counter)}"),
                title=fields.pop("title", "A task"),
                day=day,
                **fields,
            ),
            manager,
        )

    return _record
