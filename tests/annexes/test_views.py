from __future__ import annotations

import datetime as dt
import re

from contracts_app.annexes.models import Annex
from contracts_app.db import db
from tests.factories import make_user, signed_in


def _row(index: int, **values: str) -> dict[str, str]:
    defaults = {"op": "add", "kind": "included", "cap_unit": "", "cap_period": ""}
    return {f"changes-{index}-{k}": v for k, v in {**defaults, **values}.items()}


def test_stale_form_is_refused_with_a_message_and_keeps_the_newer_edit(client, cast):
    annex = cast.draft()
    signed_in(client, cast.manager)
    form = {
        "version": "1",
        "title": "Edited in a second tab",
        "effective_date": "2026-03-01",
        **_row(0, ref="3.1", title="New clause"),
        "action": "save",
    }
    assert client.post(f"/annexes/{annex.id}/edit", data=form).status_code == 302
    stale = client.post(f"/annexes/{annex.id}/edit", data={**form, "title": "From the old tab"})
    page = stale.get_data(as_text=True)
    assert "changed by someone else since you opened it" in page
    db.session.expire_all()
    assert db.session.get(Annex, annex.id).title == "Edited in a second tab"


def test_preview_shows_the_diff_and_stores_nothing(client, cast):
    signed_in(client, cast.manager)
    response = client.post(
        f"/agreements/{cast.agreement.code}/annexes/new",
        data={
            "title": "Preview only",
            "effective_date": "2026-03-01",
            **_row(0, op="remove", ref="2.1"),
            **_row(
                1,
                op="modify",
                ref="1.2",
                title="Clause 1.2",
                categories="support.request",
                rate="61.00",
            ),
            "action": "preview",
        },
    )
    page = response.get_data(as_text=True)
    assert "\u2212 2.1" in page and "~ 1.2" in page and "61.00" in page
    assert db.session.query(Annex).count() == 0


def test_a_rate_change_reads_as_money_of_the_agreement_currency(client, cast):
    signed_in(client, cast.manager)
    page = client.post(
        f"/agreements/{cast.agreement.code}/annexes/new",
        data={
            "title": "New rate",
            "effective_date": "2026-03-01",
            **_row(
                0,
                op="modify",
                ref="1.2",
                title="Clause 1.2",
                categories="support.request",
                rate="85.50",
            ),
            "action": "preview",
        },
    ).get_data(as_text=True)
    text = re.sub(r"<[^>]+>", "", page)
    assert "rate: EUR 60.00 / h → EUR 85.50 / h" in text


def test_a_modify_row_that_changes_nothing_is_reported_on_its_row(client, cast):
    signed_in(client, cast.manager)
    response = client.post(
        f"/agreements/{cast.agreement.code}/annexes/new",
        data={
            "title": "No-op",
            "effective_date": "2026-03-01",
            **_row(
                0,
                op="modify",
                ref="1.2",
                title="Clause 1.2",
                categories="support.request",
                rate="60.00",
            ),
            "action": "save",
        },
    )
    assert "Nothing changes in clause 1.2." in response.get_data(as_text=True)


def test_a_conflicting_change_is_shown_on_its_row(client, cast):
    signed_in(client, cast.manager)
    response = client.post(
        f"/agreements/{cast.agreement.code}/annexes/new",
        data={
            "title": "Bad",
            "effective_date": "2026-03-01",
            **_row(0, op="remove", ref="8.8"),
            "action": "save",
        },
    )
    assert "clause 8.8 does not exist on 2026-03-01" in response.get_data(as_text=True)


def test_annex_page_shows_actions_for_the_role_and_the_diagram(client, cast):
    annex = cast.draft(effective_date=dt.date(2026, 3, 1))
    signed_in(client, cast.manager)
    page = client.get(f"/annexes/{annex.id}").get_data(as_text=True)
    assert 'class="event-submit' in page and 'class="event-approve' not in page
    assert 'class="node current"' in page and "<title>draft</title>" in page


def test_outsider_gets_404_for_annex_pages(client, cast):
    annex = cast.draft()
    signed_in(client, make_user())
    for url in (
        f"/annexes/{annex.id}",
        f"/annexes/{annex.id}/edit",
        f"/agreements/{cast.agreement.code}/annexes",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/annexes/{annex.id}/events", data={"event": "submit"}).status_code == 404
