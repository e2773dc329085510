"""Recording tasks, people's decisions, annex proposals and re-checks after scope changes."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from contracts_app.annexes.models import Annex
from contracts_app.db import db
from contracts_app.errors import Conflict, Forbidden, ValidationFailed
from contracts_app.tasks.models import Task, VerdictChange
from contracts_app.tasks.services import fire_task_event
from tests.factories import agree_to, clause, make_annex, manager_of, member_user
from workflows.task import task_workflow
from workflows.task_states import TaskState, Verdict

D = dt.date


def test_a_recorded_task_lands_in_its_verdicts_state(record):
    task = record(category="support.incident", system="shop-web", hours=2)
    assert (task.state, task.verdict, task.clause_ref) == (
        TaskState.IN_SCOPE,
        Verdict.IN_SCOPE,
        "1.2",
    )
    assert task.verdict_detail["cap"]["used"] == "2.00"


def test_a_ref_is_unique_per_agreement(record):
    record(ref="INC-1", category="support.request")
    with pytest.raises(ValidationFailed) as caught:
        record(ref="INC-1", category="support.request")
    assert "ref" in caught.value.errors


def test_only_counted_tasks_use_the_cap(agreement, record):
    first = record(category="support.incident", system="shop-web", hours=6)
    fire_task_event(first.id, "reject", manager_of(agreement))
    second = record(category="support.incident", system="shop-web", hours=6)
    assert second.verdict == Verdict.IN_SCOPE, "a rejected task does not count"


def test_accepting_an_over_cap_task_makes_it_count(agreement, record):
    record(category="support.incident", system="shop-web", hours=8)
    over = record(category="support.incident", system="shop-web", hours=4)
    assert over.state == TaskState.OVER_CAP
    fire_task_event(over.id, "accept", manager_of(agreement))
    third = record(category="support.incident", system="shop-web", hours="0.5")
    assert third.verdict_detail["cap"]["used"] == "12.50"


def test_escalation_needs_a_comment_and_contributors_may_escalate(agreement, record):
    task = record(category="support.incident", system="shop-web", hours="8.5")
    contributor = member_user(agreement, "provider", "contributor")
    with pytest.raises(ValidationFailed):
        fire_task_event(task.id, "escalate", contributor)
    assert (
        fire_task_event(task.id, "escalate", contributor, "Customer insists").state
        == TaskState.ESCALATED
    )
    with pytest.raises(Forbidden):
        fire_task_event(task.id, "accept", contributor)


def test_an_event_the_state_does_not_allow_is_409_with_allowed_events(agreement, record):
    task = record(category="support.request")
    fire_task_event(task.id, "accept", manager_of(agreement))
    with pytest.raises(Conflict) as caught:
        fire_task_event(task.id, "escalate", manager_of(agreement), "x")
    assert caught.value.allowed == []


def test_propose_annex_drafts_an_add_for_uncovered_work(agreement, record):
    task = record(
        title="Build a loyalty programme", category="development.loyalty", day=D(2026, 5, 2)
    )
    assert task.verdict == Verdict.OUT_OF_SCOPE
    task = fire_task_event(task.id, "propose_annex", manager_of(agreement))
    annex = db.session.get(Annex, task.proposed_annex_id)
    assert task.state == TaskState.ANNEX_PROPOSED
    assert annex.state.value == "draft" and annex.effective_date == D(2026, 5, 2)
    change = annex.changes[0]
    assert change["op"] == "add" and change["item"]["categories"] == ["development.loyalty"]


def test_propose_annex_for_an_over_cap_task_raises_the_cap(agreement, record):
    record(category="support.incident", system="shop-web", hours=8)
    over = record(category="support.incident", system="shop-web", hours=4)
    over = fire_task_event(over.id, "propose_annex", manager_of(agreement))
    annex = db.session.get(Annex, over.proposed_annex_id)
    assert annex.changes == [
        {
            "op": "modify",
            "ref": "1.2",
            "fields": {"cap": {"unit": "hours", "limit": "12.00", "period": "month"}},
        }
    ]


def test_when_the_proposed_annex_becomes_effective_the_task_is_checked_again(agreement, record):
    task = record(
        title="Build a loyalty programme", category="development.loyalty", day=D(2026, 5, 2)
    )
    task = fire_task_event(task.id, "propose_annex", manager_of(agreement))
    agree_to(db.session.get(Annex, task.proposed_annex_id))
    db.session.expire_all()
    task = db.session.get(Task, task.id)
    assert task.verdict == Verdict.IN_SCOPE, "the added clause is more specific than exclusion 9.1"
    assert task.state == TaskState.IN_SCOPE
    annex = db.session.get(Annex, task.proposed_annex_id)  # still linked, now in force
    assert annex.state.value == "effective"


def test_a_retroactive_annex_rechecks_tasks_and_lists_the_changes(agreement, record):
    task = record(category="support.request", day=D(2026, 4, 10))
    earlier = record(category="support.request", day=D(2026, 2, 10))
    make_annex(
        agreement,
        D(2026, 3, 1),
        [{"op": "add", "item": clause("1.5", ["support.request"], kind="excluded")}],
    )
    db.session.expire_all()
    assert db.session.get(Task, task.id).state == TaskState.OUT_OF_SCOPE
    assert db.session.get(Task, earlier.id).state == TaskState.IN_SCOPE, (
        "before the annex: unchanged"
    )
    change = db.session.scalar(sa.select(VerdictChange).where(VerdictChange.task_id == task.id))
    assert (change.old_verdict, change.new_verdict, change.new_clause) == (
        Verdict.IN_SCOPE,
        Verdict.OUT_OF_SCOPE,
        "1.5",
    )


def test_an_accepted_task_is_flagged_not_changed_by_a_recheck(agreement, record):
    task = record(category="support.request", day=D(2026, 4, 10))
    fire_task_event(task.id, "accept", manager_of(agreement))
    make_annex(agreement, D(2026, 3, 1), [{"op": "remove", "ref": "1.1"}])
    db.session.expire_all()
    stored = db.session.get(Task, task.id)
    assert stored.state == TaskState.ACCEPTED and stored.verdict == Verdict.IN_SCOPE
    assert stored.needs_attention
    change = db.session.scalar(sa.select(VerdictChange).where(VerdictChange.task_id == task.id))
    assert change.flagged and change.new_verdict == Verdict.OUT_OF_SCOPE


def test_a_recheck_recounts_caps_in_date_order(agreement, record):
    a = record(category="support.incident", system="shop-web", hours=6, day=D(2026, 5, 3))
    b = record(category="support.incident", system="shop-web", hours=6, day=D(2026, 5, 20))
    assert b.state == TaskState.OVER_CAP
    make_annex(
        agreement,
        D(2026, 5, 1),
        [
            {
                "op": "modify",
                "ref": "1.2",
                "fields": {"cap": {"unit": "hours", "limit": "20", "period": "month"}},
            }
        ],
    )
    db.session.expire_all()
    assert db.session.get(Task, a.id).state == TaskState.IN_SCOPE
    b = db.session.get(Task, b.id)
    assert b.state == TaskState.IN_SCOPE and b.verdict_detail["cap"]["used"] == "12.00"


def test_bulk_paths_do_not_bind_the_machine(agreement, record, monkeypatch):
    calls = []
    monkeypatch.setattr(task_workflow().machine, "add_model", lambda *a, **k: calls.append(a))
    for n in range(5):
        record(category="support.request", day=D(2026, 4, n + 1))
    make_annex(agreement, D(2026, 3, 1), [{"op": "remove", "ref": "1.1"}])
    assert calls == []


def test_a_recheck_that_changes_verdicts_is_in_the_audit_trail(agreement, record):
    from contracts_app.audit.models import AuditEvent

    record(ref="R-9", category="support.request", day=D(2026, 4, 10))
    make_annex(agreement, D(2026, 3, 1), [{"op": "remove", "ref": "1.1"}])
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "tasks.rechecked"))
    assert event.changes["verdicts"] == {
        "before": {"R-9": "in_scope"},
        "after": {"R-9": "out_of_scope"},
    }
    assert event.changes["changed"]["after"] == 1
