"""The agreement form shows its own errors and the service's in one submission."""

from __future__ import annotations

import re

from tests.factories import make_agreement, make_user, manager_of, signed_in


def test_a_new_agreement_with_many_mistakes_shows_them_all_at_once(client):
    signed_in(client, make_user())
    response = client.post(
        "/agreements/new",
        data={
            "code": "bad code",  # the service's pattern
            "title": "",  # the form's required field
            "customer": "Same Ltd",
            "provider": "Same Ltd",  # the service: must differ
            "start_date": "2026-06-01",
            "end_date": "2026-01-01",  # the service: before the start
            "currency": "EURO",
            "value": "10",
            "creator_side": "provider",
            "renewal": "none",
        },
    )
    page = response.get_data(as_text=True)
    errors = re.findall(r'<small class="error">([^<]*)</small>', page)
    assert any("required" in e.lower() for e in errors)
    assert any("must not be before the start" in e for e in errors)
    assert any("must differ from the customer" in e for e in errors)
    assert any("capitals" in e or "capital letters" in e for e in errors)


def test_a_clause_with_a_lookalike_system_asks_to_confirm_it(client):
    from tests.factories import make_agreement, manager_of

    agreement = make_agreement(status="draft")
    signed_in(client, manager_of(agreement))
    typed = {
        "ref": "5.1",
        "title": "Web shop",
        "kind": "included",
        "categories": "maintenance",
        "systems": "shop-wbe",
        "cap_unit": "",
        "cap_period": "",
    }
    url = f"/agreements/{agreement.code}/clauses/new"
    page = client.post(url, data=typed).get_data(as_text=True)
    assert "Did you mean shop-web? Tick “use the new code” to keep shop-wbe." in page
    assert '<datalist id="vocabulary-systems">' in page
    assert client.post(url, data={**typed, "confirm_new_codes": "y"}).status_code == 302


def test_a_clause_form_with_errors_names_them_at_the_top_with_links_to_the_fields(client):
    agreement = make_agreement(status="draft", scope=[])
    signed_in(client, manager_of(agreement))
    page = client.post(
        f"/agreements/{agreement.code}/clauses/new",
        data={
            "ref": "1.1",
            "title": "",
            "kind": "included",
            "cap_unit": "count",
            "cap_limit": "lots",
            "cap_period": "month",
        },
    ).get_data(as_text=True)
    summary = re.search(r'<div class="error-summary[^>]*>(.*?)</div>', page, re.S)
    assert summary and page.index("error-summary") < page.index('<form method="post" novalidate')
    text = re.sub(r"\s+", " ", summary.group(1)).strip()
    assert text.startswith("2 problems below:")
    assert '<a href="#title">Title</a>, <a href="#cap_limit">Cap limit</a>' in text


def test_a_clause_form_shows_the_form_and_the_cap_problems_in_one_summary(client):
    agreement = make_agreement(status="draft", scope=[])
    signed_in(client, manager_of(agreement))
    page = client.post(
        f"/agreements/{agreement.code}/clauses/new",
        data={
            "ref": "1.1",
            "title": "Releases",
            "kind": "included",
            "cap_unit": "count",
            "cap_limit": "lots",
            "cap_period": "month",
            "cap_unit_label_singular": "release",
        },
    ).get_data(as_text=True)
    summary = re.search(r'<div class="error-summary[^>]*>(.*?)</div>', page, re.S)
    text = re.sub(r"\s+", " ", summary.group(1)).strip()
    assert text == (
        '2 problems below: <a href="#cap_limit">Cap limit</a>, '
        '<a href="#cap_unit_label">Counted as (plural)</a>'
    )


def test_a_form_without_errors_shows_no_summary(client):
    agreement = make_agreement(status="draft", scope=[])
    signed_in(client, manager_of(agreement))
    page = client.get(f"/agreements/{agreement.code}/clauses/new").get_data(as_text=True)
    assert "error-summary" not in page
