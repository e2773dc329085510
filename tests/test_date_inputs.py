"""Dates are typed as ISO text on every page, whatever language the browser speaks."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from contracts_app.dates import NOT_A_DAY
from tests.factories import make_agreement, make_user, manager_of, signed_in
from tests.forms import submit

DATE_NAMES = {"start_date", "end_date", "effective_date", "date", "as_of", "date_from", "date_to"}


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "input":
            self.inputs.append({k: v or "" for k, v in attrs})


def _date_inputs(html: str) -> list[dict[str, str]]:
    parser = _Inputs()
    parser.feed(html)
    return [
        i
        for i in parser.inputs
        if i.get("type") == "date" or (i.get("name") in DATE_NAMES and i.get("type") != "hidden")
    ]


@pytest.fixture
def agreement():
    return make_agreement(status="draft")


@pytest.mark.parametrize(
    "path",
    [
        "/agreements/new",
        "/agreements/{code}",
        "/agreements/{code}/edit",
        "/agreements/{code}/tasks",
        "/agreements/{code}/tasks/new",
        "/agreements/{code}/check",
        "/agreements/{code}/annexes/new",
        "/agreements/{code}/documents",
    ],
)
def test_date_inputs_are_text_with_the_iso_pattern(client, agreement, path):
    signed_in(client, make_user(admin=True) if path == "/agreements/new" else manager_of(agreement))
    response = client.get(path.format(code=agreement.code))
    assert response.status_code == 200
    inputs = _date_inputs(response.get_data(as_text=True))
    assert inputs, "the page has a date input"
    for attributes in inputs:
        assert attributes.get("type") == "text", attributes
        assert attributes.get("pattern") == r"\d{4}-\d{2}-\d{2}", attributes
        assert attributes.get("inputmode") == "numeric", attributes
        assert attributes.get("placeholder") == "YYYY-MM-DD", attributes


def test_a_date_not_written_as_iso_is_refused_beside_its_field_keeping_the_rest(client, agreement):
    signed_in(client, manager_of(agreement))
    url = f"/agreements/{agreement.code}/tasks/new"
    page = client.get(url).get_data(as_text=True)
    fill = {"ref": "INC-7", "title": "Printer", "category": "support", "date": "03/20/2026"}
    response = submit(client, page, "", fill=fill, url=url, ref="")
    html = response.get_data(as_text=True)
    assert response.status_code in (200, 422)
    field = html[html.index('name="date"') :]
    assert NOT_A_DAY in field[: field.index("</div>")]
    assert 'value="Printer"' in html and 'value="03/20/2026"' in html


def test_a_date_written_as_iso_is_taken(client, agreement):
    signed_in(client, manager_of(agreement))
    url = f"/agreements/{agreement.code}/tasks/new"
    page = client.get(url).get_data(as_text=True)
    fill = {"ref": "INC-8", "title": "Printer", "category": "support", "date": "2026-03-20"}
    assert submit(client, page, "", fill=fill, url=url, ref="").status_code == 302
