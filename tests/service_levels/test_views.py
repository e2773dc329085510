"""The service-levels page and the ticket's service levels on the task page."""

from __future__ import annotations

from contracts_app.agreements.access import membership_of
from contracts_app.tasks.services import TaskInput, record_task
from tests.factories import (
    WARSAW_CALENDAR,
    make_sla_agreement,
    manager_of,
    service_level,
    signed_in,
)


def _ticket(agreement, ref, opened, resolved=None):
    manager = manager_of(agreement)
    import datetime as dt

    return record_task(
        agreement,
        membership_of(manager, agreement.id),
        TaskInput(
            ref=ref,
            title="Incident",
            day=dt.date.fromisoformat(opened[:10]),
            category="support.incident",
            priority="P1",
            opened_at=opened,
            resolved_at=resolved,
        ),
        manager,
    )


def test_the_page_shows_the_month_the_chart_breaches_and_tickets_at_risk(client):
    agreement = make_sla_agreement([service_level()], calendar=WARSAW_CALENDAR)
    _ticket(agreement, "INC-7", "2026-05-15T15:00:00+02:00", "2026-05-18T11:00:00+02:00")
    _ticket(agreement, "INC-8", "2026-05-29T14:30:00+02:00")
    page = signed_in(client, manager_of(agreement)).get(
        f"/agreements/{agreement.code}/service-levels?period=2026-05"
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Service levels, 2026-05" in html
    assert "<svg" in html and "measured percent over the last 12 months" in html
    assert "INC-7" in html  # a breach
    assert "Open tickets at risk" in html and "INC-8" in html
    assert html.count('class="label">') >= 12  # twelve months on the chart


def test_a_bad_month_is_said_beside_the_field(client):
    agreement = make_sla_agreement([service_level()], calendar=None)
    page = signed_in(client, manager_of(agreement)).get(
        f"/agreements/{agreement.code}/service-levels?period=May"
    )
    assert page.status_code == 200
    assert "Give a month as YYYY-MM (1990 to 2099)." in page.get_data(as_text=True)


def test_the_agreement_page_links_to_the_service_levels(client):
    agreement = make_sla_agreement([service_level()], calendar=None)
    html = (
        signed_in(client, manager_of(agreement))
        .get(f"/agreements/{agreement.code}")
        .get_data(as_text=True)
    )
    assert f"/agreements/{agreement.code}/service-levels" in html


def test_the_task_page_shows_the_sla_status_beside_the_verdict(client):
    agreement = make_sla_agreement([service_level()], calendar=WARSAW_CALENDAR)
    task = _ticket(agreement, "INC-9", "2026-05-15T15:00:00+02:00", "2026-05-18T11:00:00+02:00")
    html = signed_in(client, manager_of(agreement)).get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Service levels" in html and "badge-breached" in html
    assert "verdict" in html.lower()


def test_the_task_form_records_ticket_times(client):
    agreement = make_sla_agreement([service_level()], calendar=None)
    browser = signed_in(client, manager_of(agreement))
    response = browser.post(
        f"/agreements/{agreement.code}/tasks/new",
        data={
            "ref": "F-1",
            "title": "Down",
            "date": "2026-05-18",
            "category": "support.incident",
            "priority": "P1",
            "opened_at": "2026-05-18T09:00:00Z",
            "resolved_at": "2026-05-18T10:00:00Z",
            "pauses": "2026-05-18T09:10:00Z / 2026-05-18T09:20:00Z\n",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    bad = browser.post(
        f"/agreements/{agreement.code}/tasks/new",
        data={"ref": "F-2", "title": "Down", "date": "2026-05-18", "opened_at": "noon"},
    )
    assert bad.status_code == 200
    assert "Give a date and time" in bad.get_data(as_text=True)


def test_the_page_queries_do_not_grow_with_the_tickets(app):
    from tests.test_query_counts import queries_for

    counts = []
    for tickets in (3, 30):
        agreement = make_sla_agreement([service_level()], calendar=WARSAW_CALENDAR)
        for n in range(tickets):
            _ticket(agreement, f"Q-{n}", "2026-05-15T15:00:00+02:00", "2026-05-18T11:00:00+02:00")
            _ticket(agreement, f"O-{n}", "2026-05-29T14:30:00+02:00")
        browser = signed_in(app.test_client(), manager_of(agreement))
        counts.append(
            queries_for(browser, f"/agreements/{agreement.code}/service-levels?period=2026-05")
        )
    assert counts[0] == counts[1]


def test_the_times_page_saves_times_and_says_what_is_wrong_beside_the_field(client):
    agreement = make_sla_agreement([service_level()], calendar=WARSAW_CALENDAR)
    task = _ticket(agreement, "INC-20", "2026-05-15T15:00:00+02:00")
    browser = signed_in(client, manager_of(agreement))
    form = browser.get(f"/tasks/{task.id}/times")
    assert form.status_code == 200 and "2026-05-15T13:00:00+00:00" in form.get_data(as_text=True)
    bad = browser.post(
        f"/tasks/{task.id}/times",
        data={
            "priority": "P1",
            "opened_at": "2026-05-15T15:00:00+02:00",
            "resolved_at": "2026-05-18T11:00:00+02:00",
            "pauses": "2026-05-15T16:00:00+02:00 / 2026-05-15T15:30:00+02:00",
        },
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert "Line 1: A pause must end after it starts." in html
    good = browser.post(
        f"/tasks/{task.id}/times",
        data={
            "priority": "P1",
            "opened_at": "2026-05-15T15:00:00+02:00",
            "resolved_at": "2026-05-18T11:00:00+02:00",
            "pauses": "",
        },
    )
    assert good.status_code == 302
    page = browser.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "badge-breached" in page
