"""The annex page in plain words: a timeline of sentences, no row version, named by number."""

from __future__ import annotations

import datetime as dt
import re

from contracts_app.annexes.services import fire_event
from tests.factories import PASSWORD, signed_in

TODAY = dt.date(2026, 3, 1)


def _page(client, user, annex):
    signed_in(client, user)
    return " ".join(client.get(f"/annexes/{annex.id}").get_data(as_text=True).split())


def _timeline(page):
    return page[page.index('id="annex-timeline"') :].split("</section>")[0]


def test_the_timeline_tells_each_approval_and_signature_as_a_sentence_with_who_waits(client, cast):
    annex = cast.draft()
    fire_event(annex.id, "submit", cast.manager, today=TODAY)
    fire_event(annex.id, "approve", cast.customer_approver, today=TODAY)
    timeline = _timeline(_page(client, cast.manager, annex))
    assert "Customer approved (still waiting for the provider)." in timeline
    assert "in_review" not in timeline and "→" not in timeline
    assert cast.customer_approver.name in timeline

    fire_event(annex.id, "approve", cast.provider_approver, today=TODAY)
    fire_event(annex.id, "sign", cast.customer_approver, password=PASSWORD, today=TODAY)
    fire_event(annex.id, "sign", cast.provider_approver, password=PASSWORD, today=TODAY)
    timeline = _timeline(_page(client, cast.manager, annex))
    assert "Provider approved; every side has approved, so signatures are next." in timeline
    assert "Customer signed (still waiting for the provider)." in timeline
    assert "Provider signed; the annex is now signed and in force." in timeline
    assert "Submitted for approval." in timeline and "Drafted." in timeline


def test_the_annex_header_shows_no_row_version(client, cast):
    annex = cast.draft()
    page = _page(client, cast.manager, annex)
    lead = page[page.index('class="lead"') :].split("</p>")[0]
    assert "version" not in lead


def _preview(client, cast):
    signed_in(client, cast.manager)
    data = {
        "title": "Preview only",
        "effective_date": "2026-03-01",
        "changes-0-op": "modify",
        "changes-0-ref": "1.2",
        "changes-0-title": "Clause 1.2",
        "changes-0-kind": "included",
        "changes-0-categories": "support.request",
        "changes-0-rate": "61.00",
        "changes-0-cap_unit": "",
        "changes-0-cap_period": "",
        "action": "preview",
    }
    response = client.post(f"/agreements/{cast.agreement.code}/annexes/new", data=data)
    return " ".join(response.get_data(as_text=True).split())


def test_a_modified_clause_in_the_preview_shows_its_ref_and_title(client, cast):
    page = _preview(client, cast)
    assert "<strong>~ 1.2 Clause 1.2</strong>" in page


def test_the_preview_button_returns_to_the_result_not_the_top_of_the_page(client, cast):
    page = _preview(client, cast)
    button = re.search(r'<button [^>]*id="preview"[^>]*>', page).group(0)
    assert 'formaction="/agreements/' in button and '/annexes/new#diff-preview"' in button
    assert 'id="diff-preview" tabindex="-1"' in page
