"""On a phone, the service-levels page's month fields and their errors fit the screen,
and the annex form's change row with its "Counted as" field does too."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from contracts_app.db import db
from tests.browser.test_annex_flow import sign_in
from tests.factories import make_sla_agreement, manager_of, service_level

pytestmark = [pytest.mark.browser, pytest.mark.committed]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def sla(live_server):
    agreement = make_sla_agreement([service_level()], calendar=None)
    manager = manager_of(agreement)
    found = SimpleNamespace(code=agreement.code, email=manager.email, name=manager.name)
    db.session.commit()
    db.session.remove()
    return found


def test_on_a_phone_a_bad_month_is_said_beside_its_field_within_the_screen(
    live_server, sla, browser, artifacts
):
    page = browser.new_page(viewport=PHONE)
    sign_in(page, live_server, sla)
    page.goto(f"{live_server}/agreements/{sla.code}/service-levels")
    page.fill("#issue-period", "2026-13")  # the pattern lets it through; the server does not
    page.click("text=Issue for sign-off")
    error = page.locator("#issue-period-error")
    assert "Give a month as YYYY-MM" in error.inner_text()
    field, message = page.locator("#issue-period").bounding_box(), error.bounding_box()
    assert message["y"] >= field["y"] + field["height"] - 1, "the message sits under its field"
    assert page.locator("#issue-period").input_value() == "2026-13"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(artifacts / "month-error-phone.png"), full_page=True)
    for address in ("service-levels", "annexes/new"):
        page.goto(f"{live_server}/agreements/{sla.code}/{address}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(artifacts / "month-fields-phone.png"), full_page=True)
