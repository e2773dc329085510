from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from contracts_app.agreements.access import membership_of
from contracts_app.db import db
from contracts_app.errors import ValidationFailed
from contracts_app.tasks.importing import import_tasks
from contracts_app.tasks.models import Task
from tests.factories import manager_of
from workflows.task_states import TaskState

GOOD = """ref,title,category,system,date,hours,amount,description
INC-1,Checkout down,support.incident,shop-web,2026-03-02,6,,P1
INC-2,Slow pages,support.incident,shop-web,2026-03-05,5,,
REQ-1,New user,support.request,,2026-03-06,,,
DEV-1,Loyalty programme,development,,2026-03-07,40,,
"""


def run(agreement, text, **kwargs):
    manager = manager_of(agreement)
    return import_tasks(agreement, membership_of(manager, agreement.id), text, manager, **kwargs)


def states(agreement):
    return dict(
        db.session.execute(
            sa.select(Task.ref, Task.state).where(Task.agreement_id == agreement.id)
        ).all()
    )


def test_import_checks_every_row_and_uses_caps_in_date_order(agreement):
    report = run(agreement, GOOD)
    assert report.created == 4 and report.skipped_existing == 0
    assert states(agreement) == {
        "INC-1": TaskState.IN_SCOPE,
        "INC-2": TaskState.OVER_CAP,  # 6 + 5 > 10 hours in March
        "REQ-1": TaskState.IN_SCOPE,
        "DEV-1": TaskState.OUT_OF_SCOPE,
    }
    assert report.verdicts == {"in_scope": 2, "over_cap": 1, "out_of_scope": 1, "needs_review": 0}


def test_importing_the_same_file_twice_adds_nothing(agreement):
    run(agreement, GOOD)
    again = run(agreement, GOOD)
    assert (again.created, again.skipped_existing) == (0, 4)
    assert db.session.scalar(sa.select(sa.func.count(Task.id))) == 4


def test_bad_rows_are_reported_with_line_numbers_and_nothing_is_stored(agreement):
    bad = (
        GOOD
        + "BAD-1,,support,,2026-13-01,x,,\n"
        + "INC-1,Duplicate,support,,2026-03-01,1,,\n"
        + "BAD-2,Negative,support,,2026-03-01,-2,,\n"
    )
    with pytest.raises(ValidationFailed) as caught:
        run(agreement, bad)
    errors = caught.value.errors
    assert {"line 6.date", "line 6.hours", "line 7.ref", "line 8.hours"} <= set(errors)
    assert db.session.scalar(sa.select(sa.func.count(Task.id))) == 0


def test_skip_invalid_imports_the_valid_rows(agreement):
    report = run(agreement, GOOD + "BAD-1,No date,support,,,,,\n", skip_invalid=True)
    assert report.created == 4
    assert report.invalid == [
        {
            "line": 6,
            "errors": {"date": ["Not a date (YYYY-MM-DD): ''."]},
            "messages": ["Line 6, date: Not a date (YYYY-MM-DD): ''."],
        }
    ]


def test_unknown_or_missing_columns_are_refused(agreement):
    with pytest.raises(ValidationFailed) as caught:
        run(agreement, "ref,title,colour\nX,Y,red\n")
    message = " ".join(caught.value.errors["line 1.columns"])
    assert "colour" in message and "date" in message


def test_import_respects_existing_usage(agreement, record):
    record(category="support.incident", system="shop-web", hours=8, day=dt.date(2026, 3, 1))
    run(
        agreement,
        "ref,title,category,system,date,hours\nX-1,More,support.incident,shop-web,2026-03-20,3\n",
    )
    assert states(agreement)["X-1"] == TaskState.OVER_CAP


def test_the_import_is_in_the_audit_trail_with_its_tasks(agreement):
    from contracts_app.audit.models import AuditEvent

    run(agreement, GOOD)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "tasks.imported"))
    assert event.changes["created"]["after"] == 4
    assert event.changes["tasks"]["after"] == {
        "INC-1": "in_scope",
        "INC-2": "over_cap",
        "REQ-1": "in_scope",
        "DEV-1": "out_of_scope",
    }


def test_an_import_checks_its_rows_with_cyclic_collection_paused_then_resumes_it(
    agreement, monkeypatch
):
    import gc

    from contracts_app.tasks import importing

    seen = []
    parse = importing.parse_csv

    def recording(*args, **kwargs):
        seen.append(gc.isenabled())
        return parse(*args, **kwargs)

    monkeypatch.setattr(importing, "parse_csv", recording)
    assert run(agreement, GOOD).created == 4
    assert seen == [False] and gc.isenabled()
