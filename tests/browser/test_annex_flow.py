"""End to end in Chromium: draft an annex, correct a mistake, preview, submit, approve, sign."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import PASSWORD, make_agreement, manager_of, member_user

pytestmark = [pytest.mark.browser, pytest.mark.committed]


def sign_in(page, base, user):
    page.goto(f"{base}/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/work")  # My work, the home page after sign-in


def sign_out(page):
    with page.expect_navigation():
        page.click("header .signout button")


def fire(page, event, password=None, comment=None):
    form = page.locator(f"form.event-{event}")
    if comment:
        form.locator("textarea[name=comment]").fill(comment)
    if password:
        form.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def test_manager_drafts_and_both_sides_approve_and_sign(live_server, browser, artifacts):
    agreement = make_agreement(start=dt.date(2026, 1, 1), end=dt.date(2027, 12, 31))
    manager = manager_of(agreement)
    customer = member_user(agreement, "customer", "approver")
    provider = member_user(agreement, "provider", "approver")
    effective = min(dt.date.today(), dt.date(2027, 12, 31)).isoformat()
    page = browser.new_page(viewport={"width": 1280, "height": 1000})

    sign_in(page, live_server, manager)
    page.goto(f"{live_server}/agreements/{agreement.code}/annexes/new")
    page.fill("#title", "Extra monitoring and higher rates")
    page.fill("#effective_date", effective)
    page.fill("#rationale", "Agreed in the steering committee.")

    # row 0 (present on a new form): add a clause, with a negative cap by mistake
    page.fill("input[name='changes-0-ref']", "3.1")
    page.fill("input[name='changes-0-title']", "Synthetic monitoring")
    page.fill("input[name='changes-0-categories']", "operations.monitoring.synthetic")
    page.select_option("select[name='changes-0-cap_unit']", "hours")
    page.fill("input[name='changes-0-cap_limit']", "-5")
    page.select_option("select[name='changes-0-cap_period']", "month")

    # row 1: modify 1.2, picked from the scope and pre-filled
    page.click("#add-row")
    page.select_option("select[name='changes-1-op']", "modify")
    page.fill("input[name='changes-1-ref']", "1.2")
    page.dispatch_event("input[name='changes-1-ref']", "change")
    assert page.input_value("input[name='changes-1-title']") == "Clause 1.2", (
        "pre-filled from the scope"
    )
    page.fill("input[name='changes-1-rate']", "72.50")

    # row 2: remove 2.1; row 3 added then removed again
    page.click("#add-row")
    page.select_option("select[name='changes-2-op']", "remove")
    page.fill("input[name='changes-2-ref']", "2.1")
    page.click("#add-row")
    page.locator(".change-row").nth(3).locator(".remove-row").click()
    assert page.locator(".change-row").count() == 3

    page.click("#preview")
    error = page.locator("input[name='changes-0-cap_limit'] ~ .error")
    assert "greater than" in error.inner_text().lower() or "must be" in error.inner_text().lower()
    assert page.input_value("input[name='changes-0-title']") == "Synthetic monitoring", (
        "nothing typed is lost"
    )
    assert page.input_value("input[name='changes-1-rate']") == "72.50"
    page.screenshot(path=artifacts / "1-validation-error.png", full_page=True)

    page.fill("input[name='changes-0-cap_limit']", "40")
    page.click("#preview")
    preview = page.locator("#diff-preview").inner_text()
    for expected in ("+ 3.1", "\u2212 2.1", "~ 1.2", "72.50"):
        assert expected in preview
    page.screenshot(path=artifacts / "2-diff-preview.png", full_page=True)

    page.click("#save")
    page.wait_for_url(f"{live_server}/annexes/*")
    annex_url = page.url
    fire(page, "submit")
    assert "in review" in page.locator(".flash").first.inner_text()
    sign_out(page)

    for approver in (customer, provider):
        sign_in(page, live_server, approver)
        page.goto(annex_url)
        fire(page, "approve", comment="Fine for us")
        sign_out(page)
    for approver in (customer, provider):
        sign_in(page, live_server, approver)
        page.goto(annex_url)
        fire(page, "sign", password=PASSWORD)
        if approver is customer:
            sign_out(page)
    assert "effective" in page.locator("h1 .badge").inner_text()
    timeline = page.locator("#annex-timeline").inner_text()
    assert "Fine for us" in timeline and "sign" in timeline
    page.screenshot(path=artifacts / "3-annex-effective.png", full_page=True)

    page.goto(f"{live_server}/agreements/{agreement.code}?as_of={effective}")
    body = page.locator("main").inner_text()
    assert "Synthetic monitoring" in body
    assert "Annex 1: Extra monitoring and higher rates" in body
    assert "Clause 2.1" not in page.locator("table.clauses").first.inner_text()
    page.screenshot(path=artifacts / "4-agreement-new-scope.png", full_page=True)
