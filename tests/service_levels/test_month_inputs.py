"""Months are typed as ISO text (YYYY-MM), whatever language the browser speaks."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from contracts_app.db import db
from contracts_app.documents.models import Document
from tests.factories import make_sla_agreement, manager_of, service_level, signed_in

MONTH_MESSAGE = "Give a month as YYYY-MM (1990 to 2099)."


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "input":
            self.inputs.append({k: v or "" for k, v in attrs})


def _month_inputs(html: str) -> list[dict[str, str]]:
    parser = _Inputs()
    parser.feed(html)
    return [i for i in parser.inputs if i.get("name") == "period" or i.get("type") == "month"]


def _beside(html: str, field_id: str) -> str:
    """The field's own block: its input and what is written beside it."""
    start = html.index(f'id="{field_id}"')
    return html[start : html.index("</div>", start)]


@pytest.fixture
def agreement():
    return make_sla_agreement([service_level()], calendar=None)


def test_month_inputs_are_text_with_the_iso_pattern(client, agreement):
    page = signed_in(client, manager_of(agreement)).get(
        f"/agreements/{agreement.code}/service-levels"
    )
    inputs = _month_inputs(page.get_data(as_text=True))
    assert len(inputs) == 2, "the month shown and the month to issue"
    for attributes in inputs:
        assert attributes.get("type") == "text", attributes
        assert attributes.get("pattern") == r"\d{4}-\d{2}", attributes
        assert attributes.get("inputmode") == "numeric", attributes
        assert attributes.get("placeholder") == "YYYY-MM", attributes


def test_a_bad_month_to_show_is_said_beside_its_field_as_typed(client, agreement):
    page = signed_in(client, manager_of(agreement)).get(
        f"/agreements/{agreement.code}/service-levels?period=05/2026"
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    field = _beside(html, "period")
    assert MONTH_MESSAGE in field and 'value="05/2026"' in field
    assert 'aria-invalid="true"' in field


def test_a_bad_month_to_issue_is_said_beside_its_field_and_issues_nothing(client, agreement):
    response = signed_in(client, manager_of(agreement)).post(
        f"/agreements/{agreement.code}/service-levels/reports", data={"period": "May 2026"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    field = _beside(html, "issue-period")
    assert MONTH_MESSAGE in field and 'value="May 2026"' in field
    assert "Give a month" not in _beside(html, "period"), "the month shown is not at fault"
    assert db.session.query(Document).count() == 0
