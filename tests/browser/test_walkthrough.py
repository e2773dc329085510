"""The walk-through of a new service manager, replayed in Chromium, each step asserted:
draft an annex with mistakes, approve and sign from both sides, check tasks, import a CSV,
issue a summary, sign it off and verify it, and look around as a viewer on a phone.

Each step is one function, named for what a person does; the test runs them in order.
The detailed checks of one feature live in its own flow test (test_annex_flow.py,
test_import_flow.py); these steps check that the journey holds together.
"""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest

from contracts_app.db import db
from tests.browser.test_annex_flow import fire, sign_in, sign_out
from tests.factories import PASSWORD, make_agreement, manager_of, member_user

pytestmark = [pytest.mark.browser, pytest.mark.committed]

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
NO_OVERFLOW = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def people(live_server):
    """An active agreement whose term holds today, and one person of each role."""
    agreement = make_agreement(start=dt.date(2026, 1, 1), end=dt.date(2027, 12, 31))
    users = {
        "manager": manager_of(agreement),
        "customer approver": member_user(agreement, "customer", "approver"),
        "provider approver": member_user(agreement, "provider", "approver"),
        "contributor": member_user(agreement, "provider", "contributor"),
        "viewer": member_user(agreement, "customer", "viewer"),
    }
    found = SimpleNamespace(
        code=agreement.code,
        **{
            key.replace(" ", "_"): SimpleNamespace(email=u.email, name=u.name)
            for key, u in users.items()
        },
    )
    db.session.commit()
    db.session.remove()  # no read left open: the server writes as people act
    return found


class Journey:
    """The browser tab, the server's address and what the steps hand on to each other."""

    def __init__(self, page, base, people, artifacts):
        self.page, self.base, self.people, self.artifacts = page, base, people, artifacts
        self.annex_url = ""
        self.summary_url = ""
        self.shots = 0

    def shot(self, name: str) -> None:
        self.shots += 1
        path = self.artifacts / f"walkthrough-{self.shots:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)

    def as_(self, who: str) -> None:
        if self.page.locator("header .signout").count():
            sign_out(self.page)
        sign_in(self.page, self.base, getattr(self.people, who.replace(" ", "_")))

    def fits(self) -> None:
        assert self.page.evaluate(NO_OVERFLOW), f"{self.page.url} is wider than the screen"


def draft_an_annex_with_mistakes(j: Journey) -> None:
    page, today = j.page, dt.date.today().isoformat()
    j.as_("manager")
    page.goto(f"{j.base}/agreements/{j.people.code}/annexes/new")
    # mistakes on purpose, all in one submission: no title, a date outside the term,
    # a negative cap
    page.fill("#effective_date", "2031-01-01")
    page.fill("#rationale", "Agreed in the steering committee.")
    page.fill("input[name='changes-0-ref']", "4.1")
    page.fill("input[name='changes-0-title']", "Database patching")
    page.fill("input[name='changes-0-categories']", "maintenance.database")
    page.select_option("select[name='changes-0-cap_unit']", "hours")
    page.fill("input[name='changes-0-cap_limit']", "-8")
    page.select_option("select[name='changes-0-cap_period']", "month")
    with page.expect_navigation():
        page.click("#preview")
    for field in ("#title", "#effective_date", "input[name='changes-0-cap_limit']"):
        beside = page.locator(f"main .field:has({field}) .error")
        assert beside.count() >= 1, f"one submission shows the mistake beside {field}"
    assert page.locator("main .field:has(input[name='changes-0-ref']) .error").count() == 0, (
        "the date's error lands on the date, not on the ref"
    )
    assert page.input_value("input[name='changes-0-title']") == "Database patching", (
        "nothing typed is lost"
    )
    assert page.input_value("#rationale") == "Agreed in the steering committee."
    j.shot("annex-mistakes")

    page.fill("#title", "Database patching")
    page.fill("#effective_date", today)
    page.fill("input[name='changes-0-cap_limit']", "8")
    with page.expect_navigation():
        page.click("#preview")  # one correction answers every mistake
    assert page.locator("main .error").count() == 0, page.locator("main .error").all_inner_texts()
    assert "4.1" in page.locator("#diff-preview").inner_text()
    page.click("#save")
    page.wait_for_url(f"{j.base}/annexes/*")
    j.annex_url = page.url
    assert "draft" in page.locator("h1 .badge").inner_text()
    j.shot("annex-draft")


def submit_approve_and_sign_from_both_sides(j: Journey) -> None:
    page = j.page
    fire(page, "submit")
    assert "review" in page.locator("h1 .badge").inner_text()
    for side, waiting in (("customer approver", "provider"), ("provider approver", None)):
        j.as_(side)
        page.goto(j.annex_url)
        fire(page, "approve", comment=f"Fine for the {side.split()[0]}")
        flash = page.locator(".flash").inner_text()
        if waiting:
            assert "approval" in flash and f"waiting for the {waiting} side" in flash, flash
    j.as_("customer approver")
    page.goto(j.annex_url)
    fire(page, "sign", password="not-the-password")
    beside = page.locator("main form.event-sign .error")
    assert "not correct" in beside.first.inner_text(), (
        "the wrong password is named beside its field"
    )
    assert page.locator(".flash:has-text('password')").count() == 0, "not in a banner"
    assert "approved" in page.locator("h1 .badge").inner_text(), "and nothing is signed"
    j.shot("annex-wrong-password")
    fire(page, "sign", password=PASSWORD)
    j.as_("provider approver")
    page.goto(j.annex_url)
    fire(page, "sign", password=PASSWORD)
    assert "effective" in page.locator("h1 .badge").inner_text()
    timeline = page.locator("#annex-timeline").inner_text()
    assert "Fine for the customer" in timeline and "Fine for the provider" in timeline
    j.shot("annex-effective")


def check_and_record_tasks(j: Journey) -> None:
    page = j.page
    j.as_("contributor")
    page.goto(f"{j.base}/agreements/{j.people.code}/check")
    page.fill("#title", "Monthly kernel and database patches")
    page.fill("#category", "maintenance.database")
    page.fill("#date", dt.date.today().isoformat())
    page.fill("#hours", "3")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    verdict = page.locator(".verdict")
    assert verdict.count() == 1 and "4.1" in verdict.inner_text(), "covered by the new clause"
    j.shot("task-check")

    page.goto(f"{j.base}/agreements/{j.people.code}/tasks/new")
    page.fill("#ref", "OPS-1")
    page.fill("#title", "Monthly kernel and database patches")
    page.fill("#category", "maintenance.database")
    page.fill("#date", dt.date.today().isoformat())
    page.fill("#hours", "3")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url.startswith(f"{j.base}/tasks/"), "the recorded task's page"
    assert "OPS-1" in page.locator("h1").inner_text()
    j.shot("task-recorded")


def import_a_csv(j: Journey, tmp_path) -> None:
    page = j.page
    page.goto(f"{j.base}/agreements/{j.people.code}/tasks/import")
    today = dt.date.today().isoformat()
    csv = tmp_path / "tickets.csv"
    csv.write_text(
        "ref,title,category,date,hours\n"
        f"OPS-2,Patch window,maintenance.database,{today},2\n"
        f"OPS-3,Failed backup,support.incident,not-a-date,1\n"
        f"OPS-4,New report,development,{today},5\n"
    )
    page.set_input_files("#file", str(csv))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    problems = page.locator("#import-errors")
    assert problems.count() == 1 and "3" in problems.inner_text(), "the bad line is named"
    j.shot("import-errors")

    page.set_input_files("#file", str(csv))
    page.check("#skip_invalid")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    report = page.locator("#import-report").inner_text()
    assert "2" in page.locator("#import-report h2").inner_text(), report
    j.shot("import-report")
    page.goto(f"{j.base}/agreements/{j.people.code}/tasks")
    listed = page.locator("main table").inner_text()
    assert "OPS-2" in listed and "OPS-4" in listed and "OPS-3" not in listed


def issue_sign_off_and_verify_a_summary(j: Journey, tmp_path) -> None:
    page = j.page
    j.as_("manager")
    page.goto(f"{j.base}/agreements/{j.people.code}/documents")
    with page.expect_navigation():
        page.click("main form:not([action]) button[type=submit]")  # the issuing form
    j.summary_url = page.url
    assert re.fullmatch(rf"{j.base}/documents/\d+", page.url), "the issued summary's page"
    j.shot("summary-issued")
    for side in ("customer approver", "provider approver"):
        j.as_(side)
        page.goto(j.summary_url)
        page.fill("main input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("main form[action$='/sign-off'] button[type=submit]")
    page.goto(j.summary_url)
    assert page.locator("main input[name=password]").count() == 0, "nothing left to sign off"
    j.shot("summary-signed-off")

    pdf = page.request.get(j.summary_url + "/pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    disposition = pdf.headers.get("content-disposition", "")
    assert re.search(rf"{j.people.code}-summary-\d{{4}}-\d{{2}}-\d{{2}}\.pdf", disposition), (
        disposition
    )
    signed = tmp_path / "summary.pdf"
    signed.write_bytes(pdf.body())
    sign_out(page)
    page.goto(f"{j.base}/verify")
    page.set_input_files("#file", str(signed))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    result = page.locator("#verification-result")
    assert "verdict-in_scope" in (result.get_attribute("class") or ""), result.inner_text()
    j.shot("summary-verified")

    altered = tmp_path / "altered.pdf"
    altered.write_bytes(pdf.body() + b"\n% a line added after signing\n")
    page.set_input_files("#file", str(altered))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    result = page.locator("#verification-result")
    assert "verdict-out_of_scope" in (result.get_attribute("class") or ""), result.inner_text()
    assert result.get_attribute("data-verdict") == "altered", result.inner_text()
    assert "altered after signing" in result.inner_text()


def look_around_as_a_viewer_on_a_phone(j: Journey) -> None:
    page = j.page
    page.set_viewport_size(PHONE)
    sign_in(page, j.base, j.people.viewer)
    for path in (
        f"/agreements/{j.people.code}",
        f"/agreements/{j.people.code}/tasks",
        f"/agreements/{j.people.code}/annexes",
        j.annex_url.removeprefix(j.base),
        j.summary_url.removeprefix(j.base),
    ):
        response = page.goto(j.base + path)
        assert response and response.status == 200, path
        j.fits()
    assert page.locator("main input[name=password]").count() == 0, "a viewer signs nothing off"
    page.goto(f"{j.base}/agreements/{j.people.code}/tasks")
    for offered in ("Record a task", "Import CSV", "Import an export"):
        assert page.get_by_role("link", name=offered).count() == 0, (
            f"a viewer is not offered {offered}"
        )
    page.goto(j.annex_url)
    assert page.locator("form[class*='event-']").count() == 0, "a viewer fires no annex event"
    j.shot("viewer-annex-phone")
    page.click("header .menu-toggle")
    page.click("header nav a[href$='/notifications']")
    assert page.url.endswith("/notifications")
    j.fits()


def test_a_new_service_manager_walks_through_the_everyday_work(
    app, live_server, people, browser, artifacts, tmp_path, monkeypatch
):
    # no worker serves this server: the signed PDF is prepared in the last sign-off's request
    monkeypatch.setitem(app.config, "PDF_RENDERS_INLINE", True)
    page = browser.new_page(viewport=LAPTOP)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    journey = Journey(page, live_server, people, artifacts)

    draft_an_annex_with_mistakes(journey)
    submit_approve_and_sign_from_both_sides(journey)
    check_and_record_tasks(journey)
    import_a_csv(journey, tmp_path)
    issue_sign_off_and_verify_a_summary(journey, tmp_path)
    look_around_as_a_viewer_on_a_phone(journey)

    assert errors == [], "no script error on the way"
