"""The task machine alone: who may decide what is a condition on its transitions."""

from __future__ import annotations

from workflows.task import TaskEvent, TaskFacts, refusal, spec_for, task_workflow
from workflows.task_states import TaskState


def test_deciders_accept_and_reject_contributors_escalate_viewers_nothing():
    machine = task_workflow()
    state = TaskState.OUT_OF_SCOPE
    assert machine.allowed_events(state, TaskFacts(role="manager")) == [
        "accept",
        "reject",
        "escalate",
        "propose_annex",
    ]
    assert machine.allowed_events(state, TaskFacts(role="approver")) == [
        "accept",
        "reject",
        "escalate",
    ]
    assert machine.allowed_events(state, TaskFacts(role="contributor")) == ["escalate"]
    assert machine.allowed_events(state, TaskFacts(role="viewer")) == []
    assert machine.allowed_events(TaskState.ACCEPTED, TaskFacts(is_admin=True)) == []


def test_a_refusal_says_whether_it_is_about_the_person():
    about_person, why = refusal(TaskState.IN_SCOPE, TaskEvent.ACCEPT, TaskFacts(role="viewer"))
    assert about_person and "manager or an approver" in why
    about_person, why = refusal(TaskState.ACCEPTED, TaskEvent.ESCALATE, TaskFacts(role="manager"))
    assert not about_person and "accepted" in why


def test_accept_says_it_counts_against_the_cap_only_when_there_is_one():
    assert spec_for(TaskEvent.ACCEPT, TaskFacts(capped=False)).label == "Accept"
    assert "counts against the cap" in spec_for(TaskEvent.ACCEPT, TaskFacts(capped=True)).label
    assert spec_for(TaskEvent.ESCALATE, TaskFacts()).comment_required
