"""Escalation pages name a task by its ref: people never type or read a database id."""

from __future__ import annotations

import datetime as dt

from contracts_app.agreements.access import membership_of
from contracts_app.tasks.services import TaskInput, record_task
from tests.factories import make_agreement, manager_of, signed_in


def test_an_escalation_about_a_task_is_raised_by_its_ref_and_shows_the_ref(client):
    agreement = make_agreement()
    manager = manager_of(agreement)
    task = record_task(
        agreement,
        membership_of(manager, agreement.id),
        TaskInput(
            ref="INC-4711", title="Disputed", category="development", day=dt.date(2026, 3, 2)
        ),
        manager,
    )
    signed_in(client, manager)
    form = client.get(f"/agreements/{agreement.code}/escalations/new").get_data(as_text=True)
    assert "Task id" not in form
    response = client.post(
        f"/agreements/{agreement.code}/escalations/new",
        data={"subject": "Disputed task", "task": "INC-4711"},
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'href="/tasks/{task.id}">Task INC-4711</a>' in page


def test_an_unknown_task_ref_is_shown_beside_the_field(client):
    agreement = make_agreement()
    signed_in(client, manager_of(agreement))
    page = client.post(
        f"/agreements/{agreement.code}/escalations/new",
        data={"subject": "Disputed task", "task": "INC-0000"},
    ).get_data(as_text=True)
    assert f"No task INC-0000 on {agreement.code}." in page


def test_the_escalation_page_shows_its_workflow_with_plain_labels(client):
    agreement = make_agreement()
    signed_in(client, manager_of(agreement))
    response = client.post(
        f"/agreements/{agreement.code}/escalations/new", data={"subject": "Disputed task"}
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="node current">\n<title>open</title>' in page
    assert "Reopen \u2014 within 30 days of its resolution" in page
