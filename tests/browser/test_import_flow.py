"""End to end in Chromium: preview a Jira export, map the value it lacks, import."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from contracts_app.agreements.access import membership_of
from contracts_app.db import db
from contracts_app.tasks.models import Task
from contracts_app.tasks.profiles import put_profile
from contracts_app.tasks.sample_profiles import SAMPLE_PROFILES
from tests.browser.test_annex_flow import sign_in
from tests.factories import make_agreement, manager_of
from tests.tasks.conftest import SCOPE

pytestmark = [pytest.mark.browser, pytest.mark.committed]

JIRA = Path(__file__).resolve().parents[2] / "docs" / "samples" / "jira.csv"


def test_manager_previews_maps_the_missing_value_and_imports(live_server, browser, artifacts):
    agreement = make_agreement(start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), scope=SCOPE)
    manager = manager_of(agreement)
    put_profile(
        agreement, membership_of(manager, agreement.id), "jira", SAMPLE_PROFILES["jira"], manager
    )
    db.session.commit()
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    sign_in(page, live_server, manager)
    page.goto(f"{live_server}/agreements/{agreement.code}/import-profiles?edit=jira")
    assert page.input_value("#timezone") == "Europe/Warsaw"
    page.screenshot(path=str(artifacts / "import-profiles.png"), full_page=True)
    with page.expect_navigation():
        page.click("#profiles a.button")
    page.set_input_files("#file", str(JIRA))
    with page.expect_navigation():
        page.click("#upload button[value=preview]")
    assert page.locator("#unmapped").inner_text().count("Epic") == 1
    assert "over cap" in page.locator("#rows").inner_text()
    page.screenshot(path=str(artifacts / "import-preview.png"), full_page=True)
    assert db.session.query(Task).filter_by(agreement_id=agreement.id).count() == 0
    db.session.rollback()  # end the read, so that the server may write

    page.fill("input[aria-label='category for Epic']", "support")
    with page.expect_navigation():
        page.click("button[value=map]")
    assert page.locator("#unmapped").count() == 0
    with page.expect_navigation():
        page.click("#preview button[value=import]")
    report = page.locator("#import-report").inner_text()
    assert "6 added, 0 updated" in report
    page.screenshot(path=str(artifacts / "import-report.png"), full_page=True)
    db.session.expire_all()
    epic = db.session.query(Task).filter_by(agreement_id=agreement.id, ref="SHOP-106").one()
    assert epic.category == "support" and epic.state.value == "in_scope"
