"""Layout in Chromium where a defect is visual: side by side sections that overlap, the top
bar on a phone, tables and diagrams wider than the screen."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from contracts_app.db import db
from tests.browser.test_annex_flow import sign_in
from tests.factories import make_agreement, make_annex, manager_of

pytestmark = [pytest.mark.browser, pytest.mark.committed]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}


def overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def within(inner: dict, outer: dict) -> bool:
    return (
        inner["x"] >= outer["x"] - 1
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 1
    )


@pytest.fixture
def annex_page(live_server):
    agreement = make_agreement(start=dt.date(2026, 1, 1), end=dt.date(2027, 12, 31))
    annex = make_annex(agreement, dt.date(2026, 3, 1), [{"op": "remove", "ref": "1.2"}])
    manager = manager_of(agreement)
    found = (
        SimpleNamespace(email=manager.email, name=manager.name),
        f"{live_server}/annexes/{annex.id}",
        SimpleNamespace(code=agreement.code),
    )
    db.session.commit()
    db.session.remove()  # no read left open: the server writes when someone signs in
    return found


def test_annex_approvals_table_and_timeline_do_not_overlap_at_1366(
    live_server, annex_page, browser, artifacts
):
    manager, url, _agreement = annex_page
    page = browser.new_page(viewport=LAPTOP)
    sign_in(page, live_server, manager)
    page.goto(url)
    table = page.locator("section:has(> h2:text-is('Approvals and signatures')) table")
    section = page.locator("section:has(> h2:text-is('Approvals and signatures'))")
    timeline = page.locator("#annex-timeline")
    page.screenshot(path=str(artifacts / "layout-annex-1366.png"), full_page=True)
    assert table.locator("tbody tr").count() == 4, "two approvals and two signatures"
    table_box, timeline_box = table.bounding_box(), timeline.bounding_box()
    assert not overlap(table_box, timeline_box), (table_box, timeline_box)
    assert within(table_box, section.bounding_box()), "the table's last columns are not cut"


def test_on_a_phone_the_menu_folds_opens_by_keyboard_and_shows_the_whole_name(
    live_server, annex_page, browser, artifacts
):
    manager, _url, agreement = annex_page
    page = browser.new_page(viewport=PHONE)
    sign_in(page, live_server, manager)
    page.goto(f"{live_server}/agreements/{agreement.code}")
    nav = page.locator("header nav")
    toggle = page.locator("header .menu-toggle")
    assert nav.is_hidden() and toggle.is_visible()
    header_height = page.locator("header").bounding_box()["height"]
    assert header_height < 80, "the folded top bar is one line"

    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert nav.is_visible()
    page.screenshot(path=str(artifacts / "layout-phone-menu.png"))
    who = page.locator("header .signout .who")
    assert who.inner_text() == manager.name
    assert who.evaluate("e => e.scrollWidth <= e.clientWidth"), "the name is not cut"
    header = page.locator("header").bounding_box()
    for element in (who, page.locator("header .signout button")):
        assert within(element.bounding_box(), header), "on the top bar's dark background"
        assert element.bounding_box()["x"] + element.bounding_box()["width"] <= PHONE["width"]

    page.keyboard.press("Escape")
    assert nav.is_hidden() and toggle.get_attribute("aria-expanded") == "false"


def test_on_a_phone_page_actions_tables_and_diagrams_fit_the_screen(
    live_server, annex_page, browser, artifacts
):
    manager, url, agreement = annex_page
    page = browser.new_page(viewport=PHONE)
    sign_in(page, live_server, manager)
    for address in (f"{live_server}/agreements/{agreement.code}", url):
        page.goto(address)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.evaluate("window.scrollTo(2000, 0)")
        assert page.evaluate("window.scrollX") == 0, "nothing to scroll sideways to"
        for link in page.locator("main .actions a, main .actions button").all():
            box = link.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        for table in page.locator("main table").all():
            box = table.bounding_box()
            assert box["x"] + box["width"] <= PHONE["width"], "every column on the screen"
    diagram = page.locator(".diagram svg")
    assert diagram.bounding_box()["width"] <= page.locator(".diagram").bounding_box()["width"]
    approvals = page.locator("section:has(> h2:text-is('Approvals and signatures')) tbody tr")
    first = approvals.first.locator("td").nth(1)
    assert first.get_attribute("data-label"), "each value of a card is named"
    page.screenshot(path=str(artifacts / "layout-phone-annex.png"), full_page=True)


def test_on_a_phone_money_never_parts_between_its_code_and_its_figure(
    live_server, browser, artifacts
):
    agreement = make_agreement(start=dt.date(2026, 1, 1), end=dt.date(2027, 12, 31))
    annex = make_annex(
        agreement,
        dt.date(2026, 3, 1),
        [{"op": "modify", "ref": "1.2", "fields": {"rate": "9999999.50", "title": "Requests"}}],
        effective=False,
        title="A new hourly rate for requests of every kind",
    )
    manager = manager_of(agreement)
    url = f"{live_server}/annexes/{annex.id}"
    db.session.commit()
    db.session.remove()
    page = browser.new_page(viewport=PHONE)
    sign_in(page, live_server, manager)
    page.goto(url)
    page.screenshot(path=str(artifacts / "layout-money-390.png"), full_page=True)
    # the lines on which each "EUR" and its figure are drawn
    lines = page.evaluate(
        """() => {
            const found = [];
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                let at = node.data.indexOf('EUR ');
                while (at >= 0) {
                    const range = document.createRange();
                    range.setStart(node, at);
                    range.setEnd(node, Math.min(node.data.length, at + 'EUR 85.50'.length));
                    const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
                    found.push([node.data.slice(at, at + 9), tops.size]);
                    at = node.data.indexOf('EUR ', at + 1);
                }
            }
            return found;
        }"""
    )
    assert lines, "the annex shows its rate change in money"
    assert all(count == 1 for _text, count in lines), lines


def test_a_long_unbroken_escalation_subject_wraps_on_my_work_and_the_list(
    live_server, browser, artifacts
):
    from contracts_app.agreements.access import membership_of
    from contracts_app.escalations.services import EscalationInput, raise_escalation

    agreement = make_agreement(start=dt.date(2026, 1, 1), end=dt.date(2027, 12, 31))
    manager = manager_of(agreement)
    customer = manager_of(agreement, other_side=True)
    raise_escalation(
        agreement,
        membership_of(manager, agreement.id),
        EscalationInput(subject="A" * 200),
        manager,
    )
    person = SimpleNamespace(email=customer.email, name=customer.name)
    db.session.commit()
    db.session.remove()
    page = browser.new_page(viewport=LAPTOP)
    sign_in(page, live_server, person)
    for path in ("/work", f"/agreements/{agreement.code}/escalations"):
        page.goto(live_server + path)
        assert page.get_by_text("A" * 200).count() >= 1
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= LAPTOP["width"], (path, width)
    page.screenshot(path=str(artifacts / "layout-long-subject-1366.png"), full_page=True)
