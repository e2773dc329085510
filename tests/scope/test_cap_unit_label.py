"""A count cap says what it counts: "4 releases / month" rather than "4 items / month".

The label is the plural a person gives; a singular, when given too, reads after exactly one.
Nothing is pluralised by appending letters."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from contracts_app import formatting
from contracts_app.agreements.access import membership_of
from contracts_app.documents import services as documents
from contracts_app.scope.services import base_scope
from tests.documents.conftest import pdf_text
from tests.factories import clause, make_agreement, make_user, manager_of, signed_in, token_for

RELEASES = {
    "unit": "count",
    "limit": "4",
    "period": "month",
    "unit_label": "releases",
    "unit_label_singular": "release",
}
PAYLOAD = {
    "code": "REL-2026-01",
    "title": "Release management",
    "customer": "Nordlicht Retail",
    "provider": "Kestrel IT",
    "start_date": "2026-01-01",
    "end_date": "2026-12-31",
    "currency": "EUR",
    "value": "1000.00",
    "scope": [clause("1.1", ["releases"], cap=RELEASES)],
}


def test_a_count_cap_reads_with_the_plural_given_and_the_singular_for_exactly_one(app):
    with app.test_request_context():
        assert formatting.cap_text(RELEASES) == "4 releases / month"
        assert formatting.cap_text({**RELEASES, "limit": "1"}) == "1 release / month"
        assert formatting.cap_text({**RELEASES, "limit": "0.5"}) == "0.50 releases / month"
        assert formatting.cap_text({**RELEASES, "unit_label": None}) == "4 items / month"
        assert formatting.per_task_text("2", RELEASES) == "2 releases per task"


def test_a_plural_is_printed_as_given_and_never_made_by_appending_s(app):
    people = {**RELEASES, "unit_label": "people", "unit_label_singular": "person"}
    with app.test_request_context():
        assert formatting.cap_text(people) == "4 people / month"
        assert formatting.cap_text({**people, "limit": "1"}) == "1 person / month"
        assert formatting.cap_text({**RELEASES, "unit_label": "status reports"}) == (
            "4 status reports / month"
        )


def test_without_a_singular_one_reads_with_the_label_as_given(app):
    plural_only = {**RELEASES, "unit_label": "licences", "unit_label_singular": None}
    with app.test_request_context():
        assert formatting.cap_text({**plural_only, "limit": "3"}) == "3 licences / month"
        assert formatting.cap_text({**plural_only, "limit": "1"}) == "1 licences / month"


def test_the_label_makes_a_round_trip_through_the_api(client):
    user = make_user()
    response = client.post("/api/v1/agreements", json=PAYLOAD, headers=token_for(user))
    assert response.status_code == 201, response.json
    scope = client.get(
        "/api/v1/agreements/REL-2026-01/scope?as_of=2026-02-01", headers=token_for(user)
    ).json
    assert scope["items"][0]["cap"] == {**RELEASES, "limit": "4.00"}


@pytest.mark.parametrize(
    ("cap", "message"),
    [
        (
            {"unit": "hours", "limit": "40", "period": "month", "unit_label": "release"},
            "Only a cap of count takes a unit label",
        ),
        (
            {"unit": "amount", "limit": "400", "period": "month", "unit_label": "release"},
            "Only a cap of count takes a unit label",
        ),
        ({**RELEASES, "unit_label": "release 2"}, "One noun of letters and spaces"),
        ({**RELEASES, "unit_label": "release  note"}, "One noun of letters and spaces"),
        ({**RELEASES, "unit_label": "r" * 41}, "At most 40 characters"),
        (
            {"unit": "hours", "limit": "40", "period": "month", "unit_label_singular": "hour"},
            "Only a cap of count takes a unit label",
        ),
        ({**RELEASES, "unit_label": None}, "Give what it counts for other numbers too"),
    ],
)
def test_a_label_on_hours_or_amounts_or_not_a_word_is_a_422_naming_the_field(client, cap, message):
    response = client.post(
        "/api/v1/agreements",
        json={**PAYLOAD, "scope": [clause("1.1", ["releases"], cap=cap)]},
        headers=token_for(make_user()),
    )
    assert response.status_code == 422
    errors = response.json["errors"]
    assert message in " ".join(
        errors.get("scope.0.cap.unit_label") or errors["scope.0.cap.unit_label_singular"]
    )
    if cap["unit"] != "count":
        assert "plural" not in str(errors), "no advice that leads to another refusal"


def test_the_clause_form_limits_labels_to_40_characters_and_says_so(client):
    agreement = make_agreement(status="draft", scope=[])
    signed_in(client, manager_of(agreement))
    form = client.get(f"/agreements/{agreement.code}/clauses/new").get_data(as_text=True)
    for name in ("cap_unit_label", "cap_unit_label_singular"):
        assert re.search(rf'<input[^>]*maxlength="40"[^>]*name="{name}"', form) or re.search(
            rf'<input[^>]*name="{name}"[^>]*maxlength="40"', form
        ), name
    page = client.post(
        f"/agreements/{agreement.code}/clauses/new",
        data={
            "ref": "1.1",
            "title": "Releases",
            "kind": "included",
            "cap_unit": "count",
            "cap_limit": "4",
            "cap_period": "month",
            "cap_unit_label": "r" * 41,
        },
    ).get_data(as_text=True)
    assert "At most 40 characters" in page


def test_the_annex_form_limits_labels_to_40_characters(client):
    agreement = make_agreement(scope=[])
    signed_in(client, manager_of(agreement))
    form = client.get(f"/agreements/{agreement.code}/annexes/new").get_data(as_text=True)
    inputs = re.findall(r"<input[^>]*cap_unit_label[^>]*>", form)
    assert inputs and all('maxlength="40"' in tag for tag in inputs)


def test_the_clause_form_tells_a_singular_label_on_hours_that_hours_take_none(client):
    agreement = make_agreement(status="draft", scope=[])
    signed_in(client, manager_of(agreement))
    page = client.post(
        f"/agreements/{agreement.code}/clauses/new",
        data={
            "ref": "1.1",
            "title": "Incidents",
            "kind": "included",
            "cap_unit": "hours",
            "cap_limit": "40",
            "cap_period": "month",
            "cap_unit_label_singular": "hour",
        },
    ).get_data(as_text=True)
    assert "Only a cap of count takes a unit label" in page
    assert "the plural" not in page


def test_the_clause_form_takes_the_label_and_the_page_shows_it(client):
    agreement = make_agreement(status="draft", scope=[])
    signed_in(client, manager_of(agreement))
    response = client.post(
        f"/agreements/{agreement.code}/clauses/new",
        data={
            "ref": "1.1",
            "title": "Releases",
            "kind": "included",
            "categories": "releases",
            "cap_unit": "count",
            "cap_limit": "4",
            "cap_period": "month",
            "cap_unit_label": "licences",
            "cap_unit_label_singular": "licence",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    cap = base_scope(agreement.id)["1.1"].cap
    assert (cap.unit_label, cap.unit_label_singular) == ("licences", "licence")
    assert "4 licences / month" in client.get(f"/agreements/{agreement.code}").get_data(
        as_text=True
    )
    edit = client.get(f"/agreements/{agreement.code}/clauses/1.1/edit").get_data(as_text=True)
    assert 'name="cap_unit_label"' in edit and 'value="licences"' in edit
    assert 'name="cap_unit_label_singular"' in edit and 'value="licence"' in edit
    assert "Counted as (plural)" in edit


def test_the_clause_form_puts_a_label_on_hours_beside_its_field(client):
    agreement = make_agreement(status="draft", scope=[])
    signed_in(client, manager_of(agreement))
    response = client.post(
        f"/agreements/{agreement.code}/clauses/new",
        data={
            "ref": "1.1",
            "title": "Incidents",
            "kind": "included",
            "cap_unit": "hours",
            "cap_limit": "40",
            "cap_period": "month",
            "cap_unit_label": "releases",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Only a cap of count takes a unit label" in page
    assert 'value="releases"' in page, "what was typed is kept"
    assert base_scope(agreement.id) == {}


def test_the_summary_pdf_and_an_annex_diff_show_the_label(client):
    agreement = make_agreement(scope=[clause("1.1", ["releases"], cap=RELEASES)])
    manager = manager_of(agreement)
    data = documents.live_summary_pdf(
        agreement, membership_of(manager, agreement.id), manager, dt.date(2026, 4, 15)
    )
    assert "4 releases / month" in pdf_text(data)

    signed_in(client, manager)
    response = client.post(
        f"/agreements/{agreement.code}/annexes/new",
        data={
            "title": "Fewer releases",
            "effective_date": "2026-03-01",
            "changes-0-op": "modify",
            "changes-0-ref": "1.1",
            "changes-0-title": "Clause 1.1",
            "changes-0-kind": "included",
            "changes-0-categories": "releases",
            "changes-0-cap_unit": "count",
            "changes-0-cap_limit": "2",
            "changes-0-cap_period": "month",
            "changes-0-cap_unit_label": "releases",
            "changes-0-cap_unit_label_singular": "release",
            "action": "preview",
        },
    )
    page = response.get_data(as_text=True)
    assert "4 releases / month" in page and "2 releases / month" in page, page


def test_the_openapi_document_describes_the_label(client):
    spec = client.get("/api/v1/openapi.json").json
    label = spec["components"]["schemas"]["CapSchema"]["properties"]["unit_label"]
    assert "Only for unit count" in label["description"] and label["maxLength"] == 40


def test_the_scope_export_says_what_a_count_cap_counts(client):
    agreement = make_agreement(scope=[clause("1.1", ["releases"], cap=RELEASES)])
    response = client.get(
        f"/api/v1/agreements/{agreement.code}/scope/export?as_of=2026-03-01",
        headers=token_for(manager_of(agreement)),
    )
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[1][rows[0].index("Cap counts")] == "releases"
    assert rows[1][rows[0].index("Cap counts (one)")] == "release"


def test_the_task_pages_verdict_card_and_usage_page_say_what_the_cap_counts(client):
    from contracts_app.tasks.services import TaskInput, record_task

    agreement = make_agreement(scope=[clause("1.1", ["releases"], cap=RELEASES)])
    manager = manager_of(agreement)
    first, _second = (
        record_task(
            agreement,
            membership_of(manager, agreement.id),
            TaskInput(
                ref=f"R-{day}", title="Release", category="releases", day=dt.date(2026, 3, day)
            ),
            manager,
        )
        for day in (2, 3)
    )
    signed_in(client, manager)
    card = " ".join(client.get(f"/tasks/{first.id}").get_data(as_text=True).split())
    assert "<strong>1 release of 4 releases</strong>, 3 releases left" in card
    assert "items" not in card
    usage = client.get(f"/agreements/{agreement.code}/clauses/1.1/usage").get_data(as_text=True)
    assert "2 releases" in usage and "items" not in usage
