from __future__ import annotations

import datetime as dt
import io

from contracts_app.db import db
from contracts_app.tasks.models import Task
from tests.factories import manager_of, member_user, signed_in


def test_check_page_shows_a_verdict_card_with_the_cap_meter(client, agreement, record):
    record(category="support.incident", system="shop-web", hours=6)
    signed_in(client, member_user(agreement, "provider", "contributor"))
    page = client.post(
        f"/agreements/{agreement.code}/check",
        data={
            "title": "Outage",
            "category": "support.incident",
            "system": "shop-web",
            "date": "2026-03-20",
            "hours": "3",
        },
    ).get_data(as_text=True)
    assert "verdict-in_scope" in page and "9.00 of 10.00 hours" in page and "<meter" in page


def test_record_page_then_task_page_then_decision(client, agreement):
    signed_in(client, manager_of(agreement))
    response = client.post(
        f"/agreements/{agreement.code}/tasks/new",
        data={"ref": "INC-9", "title": "Feature", "category": "development", "date": "2026-03-20"},
    )
    assert response.status_code == 302
    task = db.session.query(Task).one()
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "out of scope" in page and "Turn into a draft annex" in page
    client.post(f"/tasks/{task.id}/events/reject", data={"comment": "Not ours"})
    db.session.expire_all()
    assert db.session.get(Task, task.id).state.value == "rejected"


def test_task_list_filters_and_empty_state(client, agreement, record):
    record(ref="A", category="support.request")
    record(ref="B", category="development")
    signed_in(client, manager_of(agreement))
    page = client.get(f"/agreements/{agreement.code}/tasks?verdict=out_of_scope").get_data(
        as_text=True
    )
    assert ">B<" in page and ">A<" not in page
    assert "No tasks match these filters." in client.get(
        f"/agreements/{agreement.code}/tasks?clause=7.7"
    ).get_data(as_text=True)


def test_import_page_reports_bad_lines_and_then_imports(client, agreement):
    signed_in(client, manager_of(agreement))
    bad = client.post(
        f"/agreements/{agreement.code}/tasks/import",
        data={
            "file": (io.BytesIO(b"ref,title,date\nA,One,2026-03-01\nB,Two,not-a-date\n"), "t.csv")
        },
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "Nothing was imported" in bad and "line 3.date" in bad
    good = client.post(
        f"/agreements/{agreement.code}/tasks/import",
        data={
            "file": (io.BytesIO(b"ref,title,date\nA,One,2026-03-01\nB,Two,not-a-date\n"), "t.csv"),
            "skip_invalid": "y",
        },
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "Imported 1 task(s)" in good


def test_clause_usage_chart_is_server_rendered_svg(client, agreement, record):
    record(category="support.incident", system="shop-web", hours=6, day=dt.date(2026, 3, 3))
    signed_in(client, manager_of(agreement))
    page = client.get(f"/agreements/{agreement.code}/clauses/1.2/usage").get_data(as_text=True)
    assert "<svg" in page and "2026-03: 6 h of 10 h" in page
