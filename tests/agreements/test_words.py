"""The agreement page names scope versions by their validity and annexes by their number."""

from __future__ import annotations

import datetime as dt
import re

from contracts_app.agreements.access import membership_of
from contracts_app.tasks.services import TaskInput, record_task
from tests.factories import clause, make_agreement, make_annex, manager_of, signed_in


def _page(client, agreement, query=""):
    signed_in(client, manager_of(agreement))
    page = client.get(f"/agreements/{agreement.code}{query}").get_data(as_text=True)
    return " ".join(page.split())


def _retroactive(agreement):
    """Annex 1 from June, then annex 2 from March: June's version is derived again."""
    make_annex(agreement, dt.date(2026, 6, 1), [{"op": "add", "item": clause("5.1")}])
    make_annex(agreement, dt.date(2026, 3, 1), [{"op": "add", "item": clause("5.2")}])


def test_scope_versions_are_named_by_their_validity_not_by_number(client):
    agreement = make_agreement()
    _retroactive(agreement)
    page = _page(client, agreement, "?as_of=2026-04-10")
    assert "the version valid 2026-03-01 \u2013 2026-05-31" in page
    timeline = page[page.index("Scope timeline") :]
    cells = re.findall(r"<tr class=\"[^\"]*\"> <td>([^<]*)</td>", timeline)
    assert cells == [
        "valid 2026-01-01 \u2013 2026-02-28",
        "valid 2026-03-01 \u2013 2026-05-31",
        "valid from 2026-06-01",
    ]
    options = re.findall(r'<option value="\d+" ?(?:selected)?>([^<]*)</option>', timeline)
    assert options[:3] == cells


def test_the_superseded_view_lists_versions_in_order_of_validity(client):
    agreement = make_agreement()
    _retroactive(agreement)
    timeline = _page(client, agreement, "?superseded=1")
    timeline = timeline[timeline.index("Scope timeline") :]
    cells = re.findall(r"<tr class=\"[^\"]*\"> <td>valid (?:from )?(\d{4}-\d\d-\d\d)", timeline)
    assert len(cells) > 3 and cells == sorted(cells)


def test_comparing_versions_lands_on_the_result_and_names_both_by_validity(client):
    agreement = make_agreement()
    _retroactive(agreement)
    page = _page(client, agreement)
    assert re.search(r'<form method="get" class="inline" id="diff-form" action="[^"]*#diff">', page)


def test_a_recheck_names_the_annex_by_its_number_not_its_id(client):
    agreement = make_agreement()
    other = make_agreement()
    make_annex(other, dt.date(2026, 6, 1), [{"op": "add", "item": clause("5.1")}])  # id 1
    manager = manager_of(agreement)
    record_task(
        agreement,
        membership_of(manager, agreement.id),
        TaskInput(ref="T-1", title="Backup", category="ops.backup", day=dt.date(2026, 7, 1)),
        manager,
    )
    annex = make_annex(
        agreement, dt.date(2026, 6, 1), [{"op": "add", "item": clause("5.1", ["ops"])}]
    )
    assert annex.id != annex.number
    page = _page(client, agreement)
    assert f'/annexes/{annex.id}">Annex {annex.number}</a>' in page
    assert f">#{annex.id}<" not in page
