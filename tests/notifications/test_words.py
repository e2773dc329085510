"""Notifications name objects as people do: "Annex 1 of AG-0001", never a database id."""

from __future__ import annotations

import datetime as dt

from contracts_app.agreements.access import membership_of
from contracts_app.documents.services import issue_document
from tests.notifications.conftest import notes


def test_an_annex_notice_names_the_annex_by_its_number_of_the_agreement(cast):
    annex = cast.draft()
    cast.fire(annex, "submit", cast.manager)
    [note] = notes(cast.customer_approver)
    assert note.text.startswith(f"Annex {annex.number} of {cast.agreement.code} “")
    assert note.link == f"/annexes/{annex.id}"  # the id stays in the link


def test_a_summary_notice_names_the_summary_of_the_agreement_and_its_date(cast):
    issue_document(
        cast.agreement,
        membership_of(cast.manager, cast.agreement.id),
        dt.date(2026, 3, 1),
        cast.manager,
    )
    [note] = notes(cast.customer_approver)
    assert note.text.startswith(f"The summary of {cast.agreement.code} as of 2026-03-01 ")


def test_a_service_report_is_named_by_its_month_not_as_a_summary_of_its_day():
    from contracts_app.documents.models import Document
    from contracts_app.notifications.triggers import _named

    report = Document(kind="service_report", period="2026-10", as_of=dt.date(2026, 10, 31))
    summary = Document(kind="summary", as_of=dt.date(2026, 10, 31))
    assert report.label == "Service report 2026-10"
    assert summary.label == "Summary as of 2026-10-31"
    assert _named(report, "AMS-1") == "service report of AMS-1 for 2026-10"
    assert _named(summary, "AMS-1") == "summary of AMS-1 as of 2026-10-31"
