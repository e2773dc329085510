"""The annex page in plain words: a timeline of sentences, no row version, named by number."""

from __future__ import annotations

import datetime as dt

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
