"""In Chromium at phone width (390 px): tables read as cards, and a sortable table keeps
its sort links on the screen, above the cards."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from contracts_app.agreements.access import membership_of
from contracts_app.db import db
from contracts_app.tasks.services import TaskInput, record_task
from tests.browser.test_annex_flow import sign_in
from tests.factories import make_agreement, manager_of
from tests.tasks.conftest import SCOPE
from tests.work.test_my_work import _notices

pytestmark = [pytest.mark.browser, pytest.mark.committed]

PHONE = {"width": 390, "height": 844}

# Each visible sort link of the page, with its box; and each card label of a table.
SORT_LINKS = """() => [...document.querySelectorAll("main a.sort-link")].map((a) => {
  a.scrollIntoView({block: "center"});
  const box = a.getBoundingClientRect();
  const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
  return {
    text: a.textContent.trim(), x: box.x, right: box.right, width: box.width,
    height: box.height, tappable: Boolean(hit && a.contains(hit)),
  };
})"""
LABELS = (
    """() => [...document.querySelectorAll("main td[data-label]")].map((td) => td.dataset.label)"""
)


@pytest.fixture
def agreement_with_tasks():
    agreement = make_agreement(start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), scope=SCOPE)
    manager = manager_of(agreement)
    for ref, hours in (("T-1", "4"), ("T-2", "2")):
        record_task(
            agreement,
            membership_of(manager, agreement.id),
            TaskInput(
                ref=ref,
                title=f"Task {ref}",
                day=dt.date(2026, 3, 10),
                category="support.incident",
                hours=Decimal(hours),
            ),
            manager,
        )
    _notices(manager, [("A notice", agreement, 2), ("Another notice", None, 3)])
    db.session.commit()
    return agreement, manager


def test_sort_links_stay_on_the_screen_and_sort_at_phone_width(
    live_server, browser, artifacts, agreement_with_tasks
):
    agreement, manager = agreement_with_tasks
    page = browser.new_page(viewport=PHONE)
    sign_in(page, live_server, manager)
    for path in ("/work", f"/agreements/{agreement.code}/tasks", "/agreements"):
        page.goto(live_server + path)
        links = page.evaluate(SORT_LINKS)
        assert links, path
        for link in links:
            assert link["x"] >= 0 and link["right"] <= 390, (path, link)
            assert link["height"] >= 24 and link["tappable"], (path, link)
        labels = page.evaluate(LABELS)
        assert labels and not any("▲" in label or "▼" in label for label in labels), labels
        page.screenshot(path=str(artifacts / f"sort-links-390-{path.count('/')}.png"))

    page.goto(f"{live_server}/agreements/{agreement.code}/tasks")
    with page.expect_navigation():
        page.locator("main a.sort-link", has_text="Title").click()  # a tap, not a keyboard
    assert "sort=title" in page.url
    assert page.locator("main td[data-label=Ref] a").first.inner_text() == "T-1"


def test_the_clause_cards_keep_each_value_beside_its_label_at_phone_width(
    live_server, browser, artifacts, agreement_with_tasks
):
    agreement, manager = agreement_with_tasks
    page = browser.new_page(viewport=PHONE)
    sign_in(page, live_server, manager)
    page.goto(f"{live_server}/agreements/{agreement.code}")
    page.screenshot(path=str(artifacts / "clause-cards-390.png"), full_page=True)
    # Every element in a labelled cell sits in the value column, right of the label.
    misplaced = page.evaluate(
        """() => {
          const out = [];
          for (const td of document.querySelectorAll("table.clauses td[data-label]")) {
            if (!td.dataset.label) continue;
            const left = td.getBoundingClientRect().left;
            for (const el of td.querySelectorAll(".badge, a, strong")) {
              const x = el.getBoundingClientRect().left;
              if (x < left + 80) out.push(`${td.dataset.label}: ${el.textContent} at ${x - left}`);
            }
          }
          return out;
        }"""
    )
    assert page.locator("table.clauses .badge").count() > 0
    assert page.locator("table.clauses a", has_text="use by period").count() > 0
    assert misplaced == []
