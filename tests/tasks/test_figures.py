"""Exact figures: each decimal field has a declared scale; more decimals are refused,
naming the field and the scale, and nothing is rounded on the way in."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from contracts_app.agreements.access import membership_of
from contracts_app.agreements.models import Agreement
from contracts_app.agreements.services import AgreementInput, create_agreement, update_agreement
from contracts_app.db import db
from contracts_app.errors import ValidationFailed
from contracts_app.scope.services import base_scope
from contracts_app.tasks.importing import import_tasks
from contracts_app.tasks.models import Task
from tests.factories import (
    clause,
    make_agreement,
    make_user,
    manager_of,
    set_status,
    signed_in,
    staff,
    token_for,
)

D = dt.date


def payload(currency="EUR", value="1000", **clause_fields):
    return {
        "code": f"FIG-{currency}",
        "title": "Exact figures",
        "customer": "Customer",
        "provider": "Provider",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "currency": currency,
        "value": value,
        "scope": [clause("1.1", ["support"], **clause_fields)],
    }


def create(client, user, body):
    return client.post("/api/v1/agreements", json=body, headers=token_for(user))


def scope_of(client, user, code):
    response = client.get(
        f"/api/v1/agreements/{code}/scope?as_of=2026-01-01", headers=token_for(user)
    )
    assert response.status_code == 200, response.json
    return {item["ref"]: item for item in response.json["items"]}


@pytest.mark.parametrize(
    ("fields", "path", "scale"),
    [
        ({"rate": "85.125"}, "scope.0.rate", "2 decimal places (the minor unit of EUR)"),
        (
            {"per_task_limit": "7.875"},
            "scope.0.per_task_limit",
            "2 decimal places (hours)",
        ),
        (
            {"cap": {"unit": "hours", "limit": "0.505", "period": "month"}},
            "scope.0.cap.limit",
            "2 decimal places (a cap of hours)",
        ),
        (
            {"cap": {"unit": "amount", "limit": "10.505", "period": "month"}},
            "scope.0.cap.limit",
            "2 decimal places (the minor unit of EUR)",
        ),
        (
            {"cap": {"unit": "count", "limit": "2.125", "period": "month"}},
            "scope.0.cap.limit",
            "2 decimal places (a cap of count)",
        ),
    ],
)
def test_more_decimals_than_the_scale_is_a_422_naming_field_and_scale(client, fields, path, scale):
    response = create(client, make_user(), payload(**fields))
    assert response.status_code == 422, response.json
    assert path in response.json["errors"]
    assert any(scale in message for message in response.json["errors"][path])
    assert "nothing is rounded" in response.json["errors"][path][0]


def test_figures_within_the_scale_are_stored_exactly_as_entered(client):
    user = make_user()
    body = payload(
        currency="BHD",
        value="1250.125",
        rate="85.125",
        per_task_limit="7.875",
        cap={"unit": "amount", "limit": "0.505", "period": "month"},
    )
    response = create(client, user, body)
    assert response.status_code == 201, response.json
    assert response.json["value"] == "1250.125"
    item = scope_of(client, user, "FIG-BHD")["1.1"]
    assert (item["rate"], item["per_task_limit"], item["cap"]["limit"]) == (
        "85.125",
        "7.875",
        "0.505",
    )
    stored = db.session.query(Agreement).filter_by(code="FIG-BHD").one()
    assert stored.value == Decimal("1250.125")
    assert base_scope(stored.id)["1.1"].rate == Decimal("85.125")


def test_a_currency_without_minor_unit_takes_whole_numbers_only(client):
    user = make_user()
    response = create(client, user, payload(currency="JPY", value="1000.5"))
    assert response.status_code == 422
    assert "Whole numbers only" in response.json["errors"]["value"][0]
    assert create(client, user, payload(currency="JPY", value="1000")).status_code == 201


def test_trailing_zeros_say_nothing_and_are_accepted(client):
    response = create(client, make_user(), payload(rate="85.1200"))
    assert response.status_code == 201, response.json


def test_a_patch_of_the_value_is_held_to_the_currency_scale():
    agreement = make_agreement(status="draft")
    manager = manager_of(agreement)
    with pytest.raises(ValidationFailed) as caught:
        update_agreement(
            agreement, membership_of(manager, agreement.id), {"value": "10.001"}, manager
        )
    assert "value" in caught.value.errors
    update_agreement(agreement, membership_of(manager, agreement.id), {"value": "10.01"}, manager)
    assert agreement.value == Decimal("10.01")


def test_task_hours_beyond_two_decimals_are_refused_not_rounded(client, agreement):
    response = client.post(
        f"/api/v1/agreements/{agreement.code}/tasks",
        json={
            "ref": "INC-1",
            "title": "Outage",
            "category": "support.incident",
            "system": "shop-web",
            "date": "2026-03-10",
            "hours": "0.254",
        },
        headers=token_for(manager_of(agreement)),
    )
    assert response.status_code == 422
    assert "2 decimal places (hours)" in response.json["errors"]["hours"][0]
    assert db.session.query(Task).count() == 0


def test_task_amount_takes_the_currency_scale(client):
    agreement = create_agreement(
        AgreementInput(
            code="BHD-1",
            title="Dinar",
            customer="C",
            provider="P",
            start_date=D(2026, 1, 1),
            end_date=None,
            currency="BHD",
            scope=[
                clause(
                    "1.1",
                    ["change"],
                    cap={"unit": "amount", "limit": "10.000", "period": "month"},
                    per_task_limit="2.505",
                )
            ],
        ),
        user := make_user(),
    )
    staff(agreement)
    set_status(agreement, "active")
    headers = token_for(user)
    url = f"/api/v1/agreements/{agreement.code}/scope-check"
    body = {"title": "Change", "category": "change", "date": "2026-02-01"}
    inside = client.post(url, json={**body, "amount": "2.505"}, headers=headers)
    assert inside.status_code == 200 and inside.json["verdict"] == "in_scope", inside.json
    assert inside.json["cap"]["used"] == "2.505"
    over = client.post(url, json={**body, "amount": "2.506"}, headers=headers)
    assert over.json["verdict"] == "over_cap", "judged on the figure entered, not a rounded one"
    refused = client.post(url, json={**body, "amount": "2.5055"}, headers=headers)
    assert refused.status_code == 422
    assert "3 decimal places (the minor unit of BHD)" in refused.json["errors"]["amount"][0]


def test_a_task_just_over_the_per_task_limit_is_over_not_rounded_into_it(record):
    # per-task limit 8 h on clause 1.2: 8.01 h is over it
    task = record(category="support.incident", system="shop-web", hours="8.01")
    assert task.verdict.value == "over_cap"
    assert task.hours == Decimal("8.01")


def test_the_task_form_shows_the_scale_beside_the_hours_field(client, agreement):
    signed_in(client, manager_of(agreement))
    page = client.post(
        f"/agreements/{agreement.code}/tasks/new",
        data={
            "ref": "INC-2",
            "title": "Outage",
            "category": "support.incident",
            "date": "2026-03-20",
            "hours": "1.255",
        },
    ).get_data(as_text=True)
    field = re.search(r'<div class="field\s+has-error">.*?</div>', page, re.S)
    assert field is not None and 'name="hours"' in field.group(0)
    assert "At most 2 decimal places (hours)" in field.group(0)
    assert db.session.query(Task).count() == 0


def test_the_clause_form_shows_the_scale_beside_the_rate_field(client):
    agreement = make_agreement(status="draft", scope=[])
    signed_in(client, manager_of(agreement))
    page = client.post(
        f"/agreements/{agreement.code}/clauses/new",
        data={
            "ref": "1.1",
            "title": "Support",
            "kind": "included",
            "cap_unit": "",
            "cap_period": "",
            "rate": "85.125",
        },
    ).get_data(as_text=True)
    field = re.search(r'<div class="field\s+has-error">.*?</div>', page, re.S)
    assert field is not None and 'name="rate"' in field.group(0)
    assert "the minor unit of EUR" in field.group(0)
    assert base_scope(agreement.id) == {}


def test_an_import_refuses_figures_beyond_their_scale_naming_the_line(agreement):
    manager = manager_of(agreement)
    with pytest.raises(ValidationFailed) as caught:
        import_tasks(
            agreement,
            membership_of(manager, agreement.id),
            "ref,title,category,date,hours,amount\n"
            "I-1,Outage,support.incident,2026-03-02,1.255,\n"
            "I-2,Change,change.small,2026-03-02,,10.001\n",
            manager,
        )
    assert "At most 2 decimal places (hours)" in caught.value.errors["line 2.hours"][0]
    assert "minor unit of EUR" in caught.value.errors["line 3.amount"][0]
    assert db.session.query(Task).count() == 0


def test_a_currency_change_that_would_not_hold_the_stored_figures_is_refused():
    agreement = make_agreement(status="draft", scope=[clause("1.1", ["support"], rate="85.12")])
    manager = manager_of(agreement)
    membership = membership_of(manager, agreement.id)
    with pytest.raises(ValidationFailed) as caught:
        update_agreement(agreement, membership, {"currency": "JPY"}, manager)
    assert "clause 1.1" in caught.value.errors["currency"][0]
    assert agreement.currency == "EUR"
    update_agreement(agreement, membership, {"currency": "BHD"}, manager)
    assert agreement.currency == "BHD"
    assert base_scope(agreement.id)["1.1"].rate == Decimal("85.12")
