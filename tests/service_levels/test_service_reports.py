"""The monthly service report: issued for a closed month, signed off, signed, verified,
frozen; the page says when a report issued now would differ."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from contracts_app.agreements.access import membership_of
from contracts_app.documents.models import DocumentState
from contracts_app.documents.service_reports import issue_service_report
from contracts_app.documents.services import sign_off, verify_pdf
from contracts_app.errors import ValidationFailed
from contracts_app.service_levels.services import Period
from contracts_app.tasks.services import TaskInput, record_task
from tests.factories import (
    PASSWORD,
    WARSAW_CALENDAR,
    approver_of,
    make_sla_agreement,
    manager_of,
    service_level,
    signed_in,
    token_for,
)


def _ticket(agreement, ref, opened, resolved):
    import datetime as dt

    manager = manager_of(agreement)
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


@pytest.fixture
def agreement():
    agreement = make_sla_agreement([service_level()], calendar=WARSAW_CALENDAR)
    _ticket(agreement, "INC-1", "2026-05-15T15:00:00+02:00", "2026-05-18T11:00:00+02:00")
    return agreement


def test_a_manager_issues_a_closed_month_through_the_api(client, agreement):
    response = client.post(
        f"/api/v1/agreements/{agreement.code}/service-reports",
        json={"period": "2026-05"},
        headers=token_for(manager_of(agreement)),
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["kind"], body["period"], body["state"]) == (
        "service_report",
        "2026-05",
        "awaiting_sign_off",
    )


def test_a_month_not_yet_ended_is_refused(client, agreement):
    response = client.post(
        f"/api/v1/agreements/{agreement.code}/service-reports",
        json={"period": "2099-01"},
        headers=token_for(manager_of(agreement)),
    )
    assert response.status_code == 422
    assert "period" in response.get_json()["errors"]


def test_signed_off_by_both_sides_it_is_signed_and_verifies(app, agreement):
    manager = manager_of(agreement)
    document = issue_service_report(
        agreement, membership_of(manager, agreement.id), Period(2026, 5), manager
    )
    for side in agreement.signoff_sides:
        sign_off(document.id, approver_of(agreement, side), PASSWORD)
    assert document.state == DocumentState.SIGNED_OFF
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(document.pdf)).pages)
    assert "Service report 2026-05" in text and "INC-1" in text
    assert verify_pdf(document.pdf)["authentic"] is True
    assert verify_pdf(document.pdf + b"\n")["authentic"] is False


def test_the_page_says_when_a_report_issued_now_would_differ(client, agreement):
    manager = manager_of(agreement)
    issue_service_report(agreement, membership_of(manager, agreement.id), Period(2026, 5), manager)
    browser = signed_in(client, manager)
    url = f"/agreements/{agreement.code}/service-levels?period=2026-05"
    assert "a report issued now would differ" not in browser.get(url).get_data(as_text=True)
    _ticket(agreement, "INC-2", "2026-05-20T09:00:00+02:00", "2026-05-20T10:00:00+02:00")
    html = browser.get(url).get_data(as_text=True)
    assert "a report issued now would differ" in html


def test_an_issued_report_keeps_its_content(agreement):
    manager = manager_of(agreement)
    document = issue_service_report(
        agreement, membership_of(manager, agreement.id), Period(2026, 5), manager
    )
    frozen = document.content["service_levels"]["service_levels"][0]["measured"]
    _ticket(agreement, "INC-3", "2026-05-20T09:00:00+02:00", "2026-05-20T10:00:00+02:00")
    assert document.content["service_levels"]["service_levels"][0]["measured"] == frozen == 1


def test_only_managers_issue_reports(agreement):
    approver = approver_of(agreement, "customer")
    with pytest.raises(Exception) as refused:
        issue_service_report(
            agreement, membership_of(approver, agreement.id), Period(2026, 5), approver
        )
    assert refused.type.__name__ == "Forbidden"
    assert not isinstance(refused.value, ValidationFailed)


def test_issuing_from_the_page_opens_the_document(client, agreement):
    browser = signed_in(client, manager_of(agreement))
    response = browser.post(
        f"/agreements/{agreement.code}/service-levels/reports", data={"period": "2026-05"}
    )
    assert response.status_code == 302
    assert "/documents/" in response.headers["Location"]
    refused = browser.post(
        f"/agreements/{agreement.code}/service-levels/reports",
        data={"period": "2099-01"},
        follow_redirects=True,
    )
    text = refused.get_data(as_text=True)
    assert "has not ended yet" in text
    # said at the top of the page too, linked to the month, not only beside the form below
    top = text[: text.index('id="issue-period"')]
    assert 'class="error-summary' in top and 'href="#issue-period"' in top


def test_the_report_carries_the_months_escalation_figures(agreement):
    import datetime as dt

    from contracts_app.escalations.services import (
        EscalationInput,
        climb_overdue,
        raise_escalation,
    )

    manager = manager_of(agreement)
    raise_escalation(
        agreement,
        membership_of(manager, agreement.id),
        EscalationInput(subject="Outage credit"),
        manager,
        now=dt.datetime(2026, 5, 20, 9, 0, tzinfo=dt.UTC),
    )
    climb_overdue(dt.datetime(2026, 5, 28, 9, 0, tzinfo=dt.UTC))
    document = issue_service_report(
        agreement, membership_of(manager, agreement.id), Period(2026, 5), manager
    )
    figures = document.content["escalations"]
    assert figures["months"] == [{"month": "2026-05", "raised": 1, "resolved": 0}]
    assert figures["open_by_level"] and figures["ball_hours"]["customer"] != "0.00"
