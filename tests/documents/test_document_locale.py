"""Pages format figures for their reader; a summary PDF in its agreement's locale."""

from __future__ import annotations

from decimal import Decimal

import pytest

from contracts_app.db import db
from contracts_app.documents import services
from tests.documents.conftest import pdf_text
from tests.documents.test_summaries import AS_OF, issue
from tests.factories import make_agreement, manager_of, signed_in, token_for

GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}


@pytest.fixture
def valued(summary_agreement):
    summary_agreement.value = Decimal("480000.00")
    db.session.flush()
    return summary_agreement


def _page(client, agreement, headers=None):
    response = client.get(f"/agreements/{agreement.code}?as_of={AS_OF}", headers=headers or {})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _live_pdf(client, agreement, headers=None):
    response = client.get(
        f"/agreements/{agreement.code}/summary.pdf?as_of={AS_OF}", headers=headers or {}
    )
    assert response.status_code == 200
    return pdf_text(response.data)


def test_agreement_page_and_its_summary_pdf_show_the_same_money_and_caps(client, valued, signers):
    signed_in(client, signers["manager"])
    page, pdf = _page(client, valued), _live_pdf(client, valued)
    for text in ("EUR 480,000.00", "60 h / month"):
        assert text in page, text
        assert text in pdf, text


def test_a_german_reader_sees_german_figures_while_the_pdf_stays_english(client, valued, signers):
    signed_in(client, signers["manager"])
    page = _page(client, valued, GERMAN)
    assert "480.000,00 EUR" in page and "EUR 480,000.00" not in page
    pdf = _live_pdf(client, valued, GERMAN)
    assert "EUR 480,000.00" in pdf and "480.000,00" not in pdf


def test_an_agreement_in_german_prints_its_summary_in_german_for_every_reader(
    client, valued, signers
):
    valued.document_locale = "de"
    db.session.flush()
    signed_in(client, signers["manager"])
    pdf = _live_pdf(client, valued)
    assert "480.000,00 EUR" in pdf and "EUR 480,000.00" not in pdf


def test_an_issued_summary_keeps_the_locale_it_was_issued_in(valued, signers):
    document = issue(valued, signers["manager"])
    assert document.content["agreement"]["locale"] == "en"
    valued.document_locale = "de"  # changed after issue: the frozen content decides
    db.session.flush()
    assert "EUR 480,000.00" in pdf_text(services.document_pdf(document))


def test_the_document_locale_is_agreed_in_draft_among_the_supported_ones(client):
    draft = make_agreement(status="draft")
    headers = token_for(manager_of(draft))
    url = f"/api/v1/agreements/{draft.code}"
    refused = client.patch(url, json={"document_locale": "xx"}, headers=headers)
    assert refused.status_code == 422 and "document_locale" in refused.json["errors"]
    changed = client.patch(url, json={"document_locale": "de"}, headers=headers)
    assert changed.status_code == 200 and changed.json["document_locale"] == "de"
    running = make_agreement()
    locked = client.patch(
        f"/api/v1/agreements/{running.code}",
        json={"document_locale": "de"},
        headers=token_for(manager_of(running)),
    )
    assert locked.status_code == 422 and running.document_locale == "en"
