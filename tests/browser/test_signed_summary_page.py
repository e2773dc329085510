"""A signed summary's page at desktop and phone widths: its two long hashes stay in the card."""

from __future__ import annotations

import datetime as dt

import pytest

from contracts_app.agreements.access import membership_of
from contracts_app.documents.services import issue_document, sign_off
from tests.browser.test_annex_flow import sign_in
from tests.factories import PASSWORD, make_agreement, manager_of, member_user

pytestmark = [pytest.mark.browser, pytest.mark.committed]

# Each hash's box against the card's, and against the other hash's.
MEASURE = """() => {
  const card = document.querySelector('section.facts').getBoundingClientRect();
  const hashes = [...document.querySelectorAll('section.facts .hash')].map(e => {
    const r = e.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom,
            scroll: e.scrollWidth, client: e.clientWidth};
  });
  return {card: {left: card.left, right: card.right}, hashes,
          page: document.documentElement.scrollWidth, width: window.innerWidth};
}"""


def _overlap(a, b) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and (a["top"] < b["bottom"] and b["top"] < a["bottom"])
    )


@pytest.fixture
def signed_document(live_server):
    """Signed before Chromium starts: signing runs an event loop of its own."""
    agreement = make_agreement(start=dt.date(2026, 1, 1), end=dt.date(2027, 12, 31))
    manager = manager_of(agreement)
    document = issue_document(
        agreement, membership_of(manager, agreement.id), dt.date(2026, 3, 1), manager
    )
    sign_off(document.id, member_user(agreement, "customer", "approver"), PASSWORD)
    sign_off(document.id, member_user(agreement, "provider", "approver"), PASSWORD)
    return document, manager


@pytest.mark.parametrize("width", [1366, 390])
def test_the_hashes_of_a_signed_summary_stay_inside_their_card(
    live_server, signed_document, browser, artifacts, width
):
    document, manager = signed_document
    page = browser.new_page(viewport={"width": width, "height": 900})
    sign_in(page, live_server, manager)
    page.goto(f"{live_server}/documents/{document.id}")
    page.screenshot(path=str(artifacts / f"signed-summary-{width}.png"), full_page=True)
    box = page.evaluate(MEASURE)
    content, signed = box["hashes"]
    assert box["page"] <= box["width"], box
    for hash_box in (content, signed):
        assert box["card"]["left"] <= hash_box["left"], box
        assert hash_box["right"] <= box["card"]["right"], box
        assert hash_box["scroll"] <= hash_box["client"], box
    assert not _overlap(content, signed), box
