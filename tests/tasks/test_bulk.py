"""Decisions on several tasks at once: each through its own event, all or nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from contracts_app.agreements.access import membership_of
from contracts_app.audit.models import AuditEvent
from contracts_app.db import db
from contracts_app.errors import Forbidden, ValidationFailed
from contracts_app.tasks.models import Task
from contracts_app.tasks.services import decide_tasks, fire_task_event
from tests.factories import manager_of, member_user, signed_in, token_for
from workflows.task import task_workflow


def _states(*tasks):
    db.session.expire_all()
    return [db.session.get(Task, t.id).state.value for t in tasks]


def test_every_task_is_accepted_each_with_its_own_audit_event(agreement, record):
    tasks = [record(category="development") for _ in range(3)]
    manager = manager_of(agreement)
    decide_tasks(
        agreement, membership_of(manager, agreement.id), manager, [t.id for t in tasks], "accept"
    )
    assert _states(*tasks) == ["accepted"] * 3
    audited = db.session.scalars(
        sa.select(AuditEvent.object_id).where(AuditEvent.action == "task.accept")
    ).all()
    assert sorted(audited) == sorted(t.id for t in tasks)


def test_one_task_that_may_not_take_the_event_changes_nothing_and_is_named(agreement, record):
    first, decided = record(category="development"), record(category="development")
    manager = manager_of(agreement)
    fire_task_event(decided.id, "reject", manager)
    with pytest.raises(ValidationFailed) as refused:
        decide_tasks(
            agreement,
            membership_of(manager, agreement.id),
            manager,
            [first.id, decided.id],
            "escalate",
            "why",
        )
    assert set(refused.value.errors) == {"tasks.1"}
    assert decided.ref in refused.value.errors["tasks.1"][0]
    assert "rejected" in refused.value.errors["tasks.1"][0]
    assert _states(first, decided) == ["out_of_scope", "rejected"]


def test_the_role_is_asked_of_the_machine_for_each_task(agreement, record):
    tasks = [record(category="development") for _ in range(2)]
    contributor = member_user(agreement, "provider", "contributor")
    with pytest.raises(Forbidden):
        decide_tasks(
            agreement,
            membership_of(contributor, agreement.id),
            contributor,
            [t.id for t in tasks],
            "accept",
        )
    assert _states(*tasks) == ["out_of_scope"] * 2


def test_a_bulk_decision_binds_no_task_to_the_machine(agreement, record, monkeypatch):
    tasks = [record(category="development") for _ in range(3)]
    calls = []
    monkeypatch.setattr(task_workflow().machine, "add_model", lambda *a, **k: calls.append(a))
    manager = manager_of(agreement)
    decide_tasks(
        agreement, membership_of(manager, agreement.id), manager, [t.id for t in tasks], "reject"
    )
    assert calls == [] and _states(*tasks) == ["rejected"] * 3


def test_list_offers_bulk_decisions_and_the_confirm_page_applies_them(client, agreement, record):
    tasks = [record(category="development") for _ in range(2)]
    signed_in(client, manager_of(agreement))
    listing = client.get(f"/agreements/{agreement.code}/tasks").get_data(as_text=True)
    assert 'form="bulk-form"' in listing and 'value="accept"' in listing
    review = client.get(
        f"/agreements/{agreement.code}/tasks/decisions",
        query_string=[("event", "reject"), *[("task", str(t.id)) for t in tasks]],
    )
    page = review.get_data(as_text=True)
    assert "Confirm: reject 2 tasks" in page and _states(*tasks) == ["out_of_scope"] * 2
    done = client.post(
        f"/agreements/{agreement.code}/tasks/decisions",
        data=MultiDict(
            [("event", "reject"), ("comment", ""), *[("task", str(t.id)) for t in tasks]]
        ),
    )
    assert done.status_code == 302 and _states(*tasks) == ["rejected"] * 2


def test_the_confirm_page_says_which_task_may_not_and_why(client, agreement, record):
    open_task, decided = record(category="development"), record(category="development")
    manager = manager_of(agreement)
    fire_task_event(decided.id, "accept", manager)
    signed_in(client, manager)
    page = client.get(
        f"/agreements/{agreement.code}/tasks/decisions",
        query_string=[("event", "escalate"), ("task", open_task.id), ("task", decided.id)],
    ).get_data(as_text=True)
    assert "nothing will be changed" in page and "Confirm:" not in page
    assert "not possible while it is accepted" in page


def test_viewers_are_not_offered_bulk_decisions(client, agreement, record):
    record(category="development")
    signed_in(client, member_user(agreement, "customer", "viewer"))
    listing = client.get(f"/agreements/{agreement.code}/tasks").get_data(as_text=True)
    assert "bulk-form" not in listing


def test_api_decides_all_or_nothing(client, agreement, record):
    tasks = [record(category="development") for _ in range(2)]
    headers = token_for(manager_of(agreement))
    url = f"/api/v1/agreements/{agreement.code}/tasks/decisions"
    missing_comment = client.post(
        url, json={"event": "escalate", "tasks": [t.id for t in tasks]}, headers=headers
    )
    assert missing_comment.status_code == 422 and "comment" in missing_comment.json["errors"]
    done = client.post(
        url, json={"event": "accept", "tasks": [t.id for t in tasks]}, headers=headers
    )
    assert done.status_code == 200
    assert [d["after"] for d in done.json["decisions"]] == ["accepted", "accepted"]
    again = client.post(url, json={"event": "accept", "tasks": [tasks[0].id]}, headers=headers)
    assert again.status_code == 422 and "tasks.0" in again.json["errors"]


def test_api_refuses_task_ids_beyond_what_an_id_can_be(client, agreement):
    # Found by the fuzzer: an id of 24 digits answered 500.
    response = client.post(
        f"/api/v1/agreements/{agreement.code}/tasks/decisions",
        json={"event": "accept", "tasks": [-1982, 156638898619220181909504]},
        headers=token_for(manager_of(agreement)),
    )
    assert response.status_code == 422
    assert {"tasks.0", "tasks.1"} <= set(response.json["errors"])
