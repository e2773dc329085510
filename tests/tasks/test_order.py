"""Order-independent verdicts: a task's cap use is that of the tasks ordered before it
(date, then ref in NFC), under the limit valid on its date; recording, importing,
accepting or rejecting re-checks the later tasks it changes, in the same transaction;
an annex re-checks whole cap periods."""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal

import sqlalchemy as sa

from contracts_app.agreements.access import membership_of
from contracts_app.audit.models import AuditEvent
from contracts_app.db import db
from contracts_app.tasks.importing import import_tasks
from contracts_app.tasks.models import Task, VerdictChange
from contracts_app.tasks.pipeline import order_key
from contracts_app.tasks.services import TaskInput, check_stored, check_task, fire_task_event
from tests.factories import make_annex, manager_of
from workflows.task_states import TaskState, Verdict

D = dt.date
INCIDENT = {"category": "support.incident", "system": "shop-web"}  # clause 1.2: 10 h a month


def fresh(task_id):
    db.session.expire_all()
    return db.session.get(Task, task_id)


def test_a_single_check_counts_only_the_tasks_before_it(agreement, record):
    record(**INCIDENT, hours=8, day=D(2026, 3, 20))
    earlier = check_task(
        agreement, TaskInput(title="x", day=D(2026, 3, 5), hours=Decimal(8), **INCIDENT)
    )
    assert earlier.verdict == Verdict.IN_SCOPE, "work dated later does not use the cap first"
    later = check_task(
        agreement, TaskInput(title="x", day=D(2026, 3, 25), hours=Decimal(8), **INCIDENT)
    )
    assert later.verdict == Verdict.OVER_CAP


def test_a_back_dated_task_takes_the_cap_and_rechecks_the_later_one(agreement, record):
    later = record(ref="B", **INCIDENT, hours=8, day=D(2026, 3, 20))
    assert later.state == TaskState.IN_SCOPE
    earlier = record(ref="A", **INCIDENT, hours=8, day=D(2026, 3, 5))
    assert earlier.state == TaskState.IN_SCOPE
    later = fresh(later.id)
    assert (later.state, later.verdict) == (TaskState.OVER_CAP, Verdict.OVER_CAP)
    assert later.verdict_detail["cap"]["used"] == "16.00"
    change = db.session.scalar(sa.select(VerdictChange).where(VerdictChange.task_id == later.id))
    assert (change.old_verdict, change.new_verdict, change.flagged) == (
        Verdict.IN_SCOPE,
        Verdict.OVER_CAP,
        False,
    )
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "tasks.rechecked"))
    assert event.changes["verdicts"]["after"] == {"B": "over_cap"}


def test_tasks_of_another_period_or_clause_are_not_touched(agreement, record):
    april = record(**INCIDENT, hours=8, day=D(2026, 4, 2))
    request = record(category="support.request", day=D(2026, 3, 20))
    record(**INCIDENT, hours=8, day=D(2026, 3, 5))
    assert fresh(april.id).state == TaskState.IN_SCOPE
    assert fresh(request.id).checked_at == request.checked_at


def test_an_accepted_later_task_is_flagged_never_changed(agreement, record):
    later = record(**INCIDENT, hours=8, day=D(2026, 3, 20))
    fire_task_event(later.id, "accept", manager_of(agreement))
    record(**INCIDENT, hours=8, day=D(2026, 3, 5))
    later = fresh(later.id)
    assert later.state == TaskState.ACCEPTED and later.verdict == Verdict.IN_SCOPE
    assert later.needs_attention
    change = db.session.scalar(sa.select(VerdictChange).where(VerdictChange.task_id == later.id))
    assert change.flagged and change.new_verdict == Verdict.OVER_CAP


def test_rejecting_a_counted_task_frees_the_cap_for_later_ones(agreement, record):
    first = record(**INCIDENT, hours=8, day=D(2026, 3, 5))
    second = record(**INCIDENT, hours=8, day=D(2026, 3, 20))
    assert second.state == TaskState.OVER_CAP
    fire_task_event(first.id, "reject", manager_of(agreement), comment="Duplicate ticket")
    assert fresh(second.id).state == TaskState.IN_SCOPE


def test_accepting_an_over_cap_task_uses_the_cap_of_later_ones(agreement, record):
    big = record(**INCIDENT, hours=7, day=D(2026, 3, 5))
    over = record(**INCIDENT, hours=6, day=D(2026, 3, 6))
    small = record(**INCIDENT, hours=3, day=D(2026, 3, 7))
    assert (over.state, small.state) == (TaskState.OVER_CAP, TaskState.IN_SCOPE)
    fire_task_event(over.id, "accept", manager_of(agreement))
    assert fresh(small.id).state == TaskState.OVER_CAP, "7 + 6 accepted, then 3: over 10"
    assert fresh(big.id).state == TaskState.IN_SCOPE


def test_tasks_of_one_date_are_ordered_by_ref_not_by_recording(agreement, record):
    b = record(ref="INC-B", **INCIDENT, hours=6)
    a = record(ref="INC-A", **INCIDENT, hours=6)
    assert fresh(a.id).state == TaskState.IN_SCOPE
    assert fresh(b.id).state == TaskState.OVER_CAP


def test_refs_are_compared_in_nfc():
    composed = unicodedata.normalize("NFC", "Café-1")
    decomposed = unicodedata.normalize("NFD", "Café-1")
    day = D(2026, 3, 1)
    assert order_key(day, composed)[:5] == order_key(day, decomposed)[:5]
    assert order_key(day, "A") < order_key(day, "B") < order_key(day, None)
    assert order_key(day, "Z", dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)) < order_key(day, "A"), (
        "a known opening time comes first on its date"
    )


def test_an_import_is_judged_as_if_its_tasks_were_recorded_in_order(agreement, record):
    stored = record(ref="S-1", **INCIDENT, hours=6, day=D(2026, 3, 20))
    manager = manager_of(agreement)
    report = import_tasks(
        agreement,
        membership_of(manager, agreement.id),
        "ref,title,category,system,date,hours\n"
        "I-2,Later,support.incident,shop-web,2026-03-25,1\n"
        "I-1,Earlier,support.incident,shop-web,2026-03-02,6\n",
        manager,
    )
    assert report.created == 2
    by_ref = {t.ref: t for t in db.session.scalars(sa.select(Task)).all()}
    db.session.expire_all()
    assert by_ref["I-1"].state == TaskState.IN_SCOPE
    assert fresh(stored.id).state == TaskState.OVER_CAP, "the stored task is re-checked"
    assert by_ref["I-2"].state == TaskState.IN_SCOPE, "6 + 1 with the over-cap task not counted"


def test_a_task_before_a_mid_quarter_raise_keeps_the_old_limit(agreement, record):
    # 3.1: 2 reports a quarter; an annex from 15 May allows 3
    make_annex(
        agreement,
        D(2026, 5, 15),
        [
            {
                "op": "modify",
                "ref": "3.1",
                "fields": {"cap": {"unit": "count", "limit": "3", "period": "quarter"}},
            }
        ],
    )
    first = record(category="reporting", day=D(2026, 4, 1))
    second = record(category="reporting", day=D(2026, 4, 2))
    third_early = record(category="reporting", day=D(2026, 5, 1))
    third_late = record(category="reporting", day=D(2026, 6, 1))
    assert (first.state, second.state) == (TaskState.IN_SCOPE, TaskState.IN_SCOPE)
    assert fresh(third_early.id).state == TaskState.OVER_CAP, "limit 2 on 1 May"
    assert fresh(third_late.id).state == TaskState.IN_SCOPE, "limit 3 on 1 June"


def test_an_annex_rechecks_from_the_start_of_the_cap_period(agreement, record):
    early = record(**INCIDENT, hours=4, day=D(2026, 3, 5))
    # a verdict left stale by an earlier rule: the re-check window must reach it
    db.session.execute(
        sa.update(Task)
        .where(Task.id == early.id)
        .values(state=TaskState.OVER_CAP, verdict=Verdict.OVER_CAP)
    )
    make_annex(
        agreement,
        D(2026, 3, 15),
        [
            {
                "op": "modify",
                "ref": "1.2",
                "fields": {"cap": {"unit": "hours", "limit": "18", "period": "month"}},
            }
        ],
    )
    early = fresh(early.id)
    assert early.state == TaskState.IN_SCOPE, "5 March shares the pool of the annex of 15 March"
    assert check_stored(early).verdict == early.verdict


def test_an_annex_rechecks_tasks_of_a_clause_that_gains_coverage(agreement, record):
    task = record(category="consulting.audit", day=D(2026, 6, 10))
    assert task.state == TaskState.OUT_OF_SCOPE
    make_annex(
        agreement,
        D(2026, 6, 1),
        [
            {
                "op": "add",
                "item": {
                    "ref": "5.1",
                    "title": "Consulting",
                    "kind": "included",
                    "categories": ["consulting"],
                },
            }
        ],
    )
    assert fresh(task.id).state == TaskState.IN_SCOPE
