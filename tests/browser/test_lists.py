"""In Chromium: the top bar's search box at phone width, sorting by a header, an export."""

from __future__ import annotations

import datetime as dt

import pytest

from contracts_app.db import db
from tests.browser.test_annex_flow import sign_in
from tests.factories import make_agreement, manager_of
from tests.tasks.conftest import SCOPE

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def test_search_from_the_top_bar_at_phone_width_then_sort_and_export(
    live_server, browser, artifacts
):
    agreement = make_agreement(start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), scope=SCOPE)
    manager = manager_of(agreement)
    db.session.commit()
    page = browser.new_page(viewport={"width": 390, "height": 844}, accept_downloads=True)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server, manager)

    box = page.locator("header .topbar-search")
    bounds = box.bounding_box()
    assert bounds and bounds["x"] >= 0 and bounds["x"] + bounds["width"] <= 390, bounds
    page.fill("#topbar-q", agreement.code.lower())
    with page.expect_navigation():
        page.click("header .topbar-search button")
    assert page.locator("#hits-agreements li").count() == 1
    page.screenshot(path=str(artifacts / "search-390.png"), full_page=True)

    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server}/agreements/{agreement.code}/annexes")
    with page.expect_navigation():
        page.click("th >> text=Title")
    assert page.locator("th[aria-sort]").inner_text().lower().startswith("title")
    assert "sort=title" in page.url
    with page.expect_download() as download:
        page.click("#export-annexes a >> text=XLSX")
    assert download.value.suggested_filename.startswith(f"{agreement.code}-annexes-")
    assert download.value.suggested_filename.endswith(".xlsx")
    assert errors == []
