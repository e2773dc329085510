"""In Chromium: a date outside the term keeps the "modify" pick list and errs on the date."""

from __future__ import annotations

import datetime as dt

import pytest

from contracts_app.db import db
from tests.browser.test_annex_flow import sign_in
from tests.factories import make_agreement, manager_of

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def test_a_date_outside_the_term_keeps_the_pick_list_and_says_why(live_server, browser, artifacts):
    agreement = make_agreement(start=dt.date(2026, 1, 1), end=dt.date(2027, 12, 31))
    manager = manager_of(agreement)
    db.session.commit()  # the live server reads and writes on its own connections
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    sign_in(page, live_server, manager)
    page.goto(f"{live_server}/agreements/{agreement.code}/annexes/new")
    options = page.locator("#clause-refs option")
    before = options.count()
    assert before >= 4

    with page.expect_response(lambda r: "scope.json" in r.url):
        page.fill("#effective_date", "2030-02-01")
        page.dispatch_event("#effective_date", "change")
    page.wait_for_selector(".field.has-error .error.date-check")
    assert options.count() == before
    message = page.locator("#effective_date ~ .error").inner_text()
    assert "outside the agreement" in message
    page.screenshot(path=str(artifacts / "annex-form-date-outside-term.png"), full_page=True)

    # a modify row still pre-fills from the scope offered
    page.select_option("select[name='changes-0-op']", "modify")
    page.fill("input[name='changes-0-ref']", "1.2")
    page.dispatch_event("input[name='changes-0-ref']", "change")
    assert page.input_value("input[name='changes-0-title']") == "Clause 1.2"
    page.close()
