"""In Chromium: the decision panel has one comment for its buttons; bulk decisions from
the task list go through one confirmation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from contracts_app.agreements.access import membership_of
from contracts_app.db import db
from contracts_app.tasks.models import Task
from contracts_app.tasks.services import TaskInput, record_task
from tests.browser.test_annex_flow import sign_in
from tests.factories import make_agreement, manager_of
from tests.tasks.conftest import SCOPE

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def _task(agreement, manager, ref, category):
    return record_task(
        agreement,
        membership_of(manager, agreement.id),
        TaskInput(
            ref=ref,
            title=f"Task {ref}",
            day=dt.date(2026, 3, 10),
            category=category,
            hours=Decimal("1"),
        ),
        manager,
    )


def test_one_comment_box_and_a_bulk_accept_with_one_confirmation(live_server, browser, artifacts):
    agreement = make_agreement(start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), scope=SCOPE)
    manager = manager_of(agreement)
    tasks = [_task(agreement, manager, f"DEV-{n}", "development") for n in range(3)]
    db.session.commit()
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    sign_in(page, live_server, manager)

    page.goto(f"{live_server}/tasks/{tasks[0].id}")
    panel = page.locator("#decide")
    assert panel.locator("textarea").count() == 1
    assert panel.locator("button").all_inner_texts()[0] == "Accept"
    page.screenshot(path=str(artifacts / "task-decision-panel.png"), full_page=True)

    page.goto(f"{live_server}/agreements/{agreement.code}/tasks")
    for task in tasks[:2]:
        page.check(f"input[name=task][value='{task.id}']")
    with page.expect_navigation():
        page.click("#bulk-form button[value=accept]")
    assert page.locator("#bulk-plan tbody tr").count() == 2
    page.screenshot(path=str(artifacts / "task-bulk-confirm.png"), full_page=True)
    with page.expect_navigation():
        page.click("#bulk-confirm button[type=submit]")
    assert "2 tasks" in page.locator(".flash").first.inner_text()
    db.session.expire_all()
    states = [db.session.get(Task, task.id).state.value for task in tasks]
    assert states == ["accepted", "accepted", "out_of_scope"]
    page.close()
