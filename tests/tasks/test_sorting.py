"""Sorting of lists: ``sort=field`` and ``sort=-field`` on pages and list endpoints."""

from __future__ import annotations

import re

import pytest

from contracts_app.annexes.services import ANNEX_SORTING
from contracts_app.errors import ValidationFailed
from contracts_app.tasks.services import TASK_SORTING
from tests.factories import make_agreement, manager_of, signed_in, token_for


def _refs(response):
    return [t["ref"] for t in response.json["items"]]


def test_the_task_list_endpoint_sorts_by_a_field_both_ways(client, agreement, record):
    for ref, hours in (("B", "3"), ("A", "1"), ("C", "2")):
        record(ref=ref, category="support", hours=hours)
    url = f"/api/v1/agreements/{agreement.code}/tasks"
    headers = token_for(manager_of(agreement))
    assert _refs(client.get(f"{url}?sort=hours", headers=headers)) == ["A", "C", "B"]
    assert _refs(client.get(f"{url}?sort=-hours", headers=headers)) == ["B", "C", "A"]
    assert _refs(client.get(f"{url}?sort=ref", headers=headers)) == ["A", "B", "C"]


def test_ties_keep_one_order_across_pages(client, agreement, record):
    for n in range(6):
        record(ref=f"T{n}", category="support", hours="1")
    url = f"/api/v1/agreements/{agreement.code}/tasks?sort=hours&per_page=2"
    headers = token_for(manager_of(agreement))
    seen = [
        ref
        for page in (1, 2, 3)
        for ref in _refs(client.get(f"{url}&page={page}", headers=headers))
    ]
    assert sorted(seen) == [f"T{n}" for n in range(6)]


def test_an_unknown_sort_field_is_a_422_naming_the_allowed_fields(client, agreement):
    response = client.get(
        f"/api/v1/agreements/{agreement.code}/tasks?sort=password",
        headers=token_for(manager_of(agreement)),
    )
    assert response.status_code == 422
    message = " ".join(response.json["errors"]["sort"])
    assert all(name in message for name in TASK_SORTING.fields)


def test_the_service_refuses_an_unknown_sort_field():
    with pytest.raises(ValidationFailed) as refused:
        ANNEX_SORTING.order_by("--number")
    assert "number" in refused.value.errors["sort"][0]


def test_the_task_page_marks_the_sorted_column_and_links_the_other_direction(
    client, agreement, record
):
    record(ref="A", category="support", hours="1")
    signed_in(client, manager_of(agreement))
    html = client.get(f"/agreements/{agreement.code}/tasks?sort=-hours&verdict=in_scope").text
    header = re.search(r'<th[^>]*aria-sort="descending"[^>]*>.*?</th>', html).group(0)
    assert "Hours" in header and "sort=hours" in header and "verdict=in_scope" in header
    assert html.count("aria-sort=") == 1


def test_a_page_ignores_an_unknown_sort_field(client, agreement, record):
    record(ref="A", category="support", hours="1")
    signed_in(client, manager_of(agreement))
    response = client.get(f"/agreements/{agreement.code}/tasks?sort=nonsense")
    assert response.status_code == 200
    assert 'aria-sort="descending"' in response.text  # the default: latest day first


def test_the_agreement_list_sorts_by_code(client):
    first = make_agreement(code="BB-1")
    make_agreement(code="AA-1", manager=manager_of(first))
    headers = token_for(manager_of(first))
    codes = [
        a["code"] for a in client.get("/api/v1/agreements?sort=code", headers=headers).json["items"]
    ]
    assert codes == ["AA-1", "BB-1"]
    codes = [
        a["code"]
        for a in client.get("/api/v1/agreements?sort=-code", headers=headers).json["items"]
    ]
    assert codes == ["BB-1", "AA-1"]
