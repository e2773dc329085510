"""In Chromium: the annex form's preview shows its result where the user looks."""

from __future__ import annotations

import datetime as dt

import pytest

from contracts_app.db import db
from tests.browser.test_annex_flow import sign_in
from tests.factories import make_agreement, manager_of

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def test_the_preview_result_is_in_view_after_the_page_reloads(live_server, browser, artifacts):
    agreement = make_agreement(start=dt.date(2026, 1, 1), end=dt.date(2027, 12, 31))
    manager = manager_of(agreement)
    db.session.commit()  # end the read: SQLite's immediate transaction would block sign-in
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    sign_in(page, live_server, manager)
    page.goto(f"{live_server}/agreements/{agreement.code}/annexes/new")
    page.fill("#title", "More hours")
    page.fill("#effective_date", "2026-06-01")
    page.fill("input[name='changes-0-ref']", "3.1")
    page.fill("input[name='changes-0-title']", "Synthetic monitoring")
    page.fill("input[name='changes-0-categories']", "operations.monitoring")
    for _ in range(3):  # a long form: the buttons sit far below the top (rows added by script)
        page.click("#add-row")
    with page.expect_navigation():
        page.click("#preview")
    assert page.evaluate("location.hash") == "#diff-preview"
    top = page.evaluate("document.getElementById('diff-preview').getBoundingClientRect().top")
    assert 0 <= top < page.viewport_size["height"]
    page.screenshot(path=artifacts / "annex-preview-in-view.png")
