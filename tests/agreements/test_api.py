from __future__ import annotations

import pytest
import sqlalchemy as sa

from contracts_app.agreements.models import Agreement, Party
from contracts_app.db import db
from tests.factories import clause, make_agreement, make_user, manager_of, member_user, token_for

PAYLOAD = {
    "code": "AMS-2026-01",
    "title": "Shop support",
    "customer": "Nordlicht Retail",
    "provider": "Kestrel IT",
    "start_date": "2026-01-01",
    "end_date": "2026-12-31",
    "currency": "EUR",
    "value": "120000.50",
    "scope": [
        clause(
            "1.1", ["support.incident"], cap={"unit": "hours", "limit": "120", "period": "month"}
        ),
        clause("9.1", ["development"], kind="excluded"),
    ],
}


def post(client, user, payload, url="/api/v1/agreements"):
    return client.post(url, json=payload, headers=token_for(user))


def test_create_agreement_stores_a_draft_with_its_base_scope_and_new_parties(client):
    user = make_user()
    response = post(client, user, PAYLOAD)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "draft"
    assert body["value"] == "120000.50"
    assert body["customer"] == "Nordlicht Retail"
    assert db.session.scalar(sa.select(sa.func.count(Party.id))) >= 2

    scope = client.get(
        "/api/v1/agreements/AMS-2026-01/scope?as_of=2026-02-01", headers=token_for(user)
    ).json
    assert scope["version"] == 1
    assert scope["valid_from"] == "2026-01-01"
    assert [item["ref"] for item in scope["items"]] == ["1.1", "9.1"]
    assert scope["items"][0]["cap"] == {"unit": "hours", "limit": "120.00", "period": "month"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"colour": "blue"}, "colour"),
        ({"value": "a lot"}, "value"),
        ({"start_date": "01/02/2026"}, "start_date"),
        ({"end_date": "2025-12-31"}, "end_date"),
        ({"currency": "euro"}, "currency"),
        ({"value": "-1"}, "value"),
        ({"title": 42}, "title"),
        ({"scope": [clause("1.1"), clause("1.1")]}, "scope.1.ref"),
        (
            {"scope": [clause("1.1", cap={"unit": "hours", "limit": "-3", "period": "month"})]},
            "scope.0.cap.limit",
        ),
        ({"scope": [{**clause("1.1"), "unknown": 1}]}, "scope.0.unknown"),
        ({"approval_sides": ["legal"]}, "approval_sides.0"),
    ],
)
def test_bad_agreement_input_is_a_422_problem_naming_the_field_and_stores_nothing(
    client, change, field
):
    user = make_user()
    response = post(client, user, {**PAYLOAD, **change})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.json["errors"], response.json
    assert db.session.scalar(sa.select(sa.func.count(Agreement.id))) == 0


def test_duplicate_code_is_a_422_on_code(client):
    user = make_user()
    assert post(client, user, PAYLOAD).status_code == 201
    response = post(client, user, PAYLOAD)
    assert response.status_code == 422
    assert "code" in response.json["errors"]


def test_malformed_json_body_is_a_problem_not_a_500(client):
    user = make_user()
    response = client.post(
        "/api/v1/agreements",
        data="{not json",
        headers={**token_for(user), "Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422)
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer cat_wrong"}, {"Authorization": "Basic x"}]
)
def test_missing_or_wrong_token_is_401(client, headers):
    response = client.get("/api/v1/agreements", headers=headers)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_patch_changes_fields_but_a_status_answers_409_naming_the_events(client):
    agreement = make_agreement(status="draft")
    manager = manager_of(agreement)
    url = f"/api/v1/agreements/{agreement.code}"
    response = client.patch(url, json={"title": "Renamed"}, headers=token_for(manager))
    assert response.status_code == 200, response.json
    assert response.json["title"] == "Renamed"
    refused = client.patch(url, json={"status": "active"}, headers=token_for(manager))
    assert refused.status_code == 409
    assert "/events" in refused.json["detail"] and "activate" in refused.json["detail"]
    assert client.get(url, headers=token_for(manager)).json["status"] == "draft"


def test_contract_terms_of_an_active_agreement_change_only_by_annex(client):
    agreement = make_agreement(status="active")
    response = client.patch(
        f"/api/v1/agreements/{agreement.code}",
        json={"value": "5", "scope": []},
        headers=token_for(manager_of(agreement)),
    )
    assert response.status_code == 422
    assert {"value", "scope"} <= set(response.json["errors"])


def test_draft_scope_can_be_replaced_by_patch(client):
    agreement = make_agreement(status="draft")
    token = token_for(manager_of(agreement))
    response = client.patch(
        f"/api/v1/agreements/{agreement.code}", json={"scope": [clause("7.1")]}, headers=token
    )
    assert response.status_code == 200
    scope = client.get(
        f"/api/v1/agreements/{agreement.code}/scope?as_of=2026-03-01", headers=token
    ).json
    assert [item["ref"] for item in scope["items"]] == ["7.1"]


def test_list_filters_by_status_text_and_party_and_paginates(client):
    admin = make_user(admin=True)
    for n in range(3):
        make_agreement(code=f"AMS-{n}", status="active", customer="Acme Retail")
    make_agreement(code="DBA-1", status="draft", customer="Harbour AG")
    headers = token_for(admin)
    assert client.get("/api/v1/agreements?status=draft", headers=headers).json["total"] == 1
    assert client.get("/api/v1/agreements?party=harbour", headers=headers).json["total"] == 1
    assert client.get("/api/v1/agreements?q=ams", headers=headers).json["total"] == 3
    page = client.get("/api/v1/agreements?per_page=2&page=2", headers=headers).json
    assert page["total"] == 4 and len(page["items"]) == 2 and page["page"] == 2
    assert client.get("/api/v1/agreements?per_page=1000", headers=headers).status_code == 422


def test_adding_a_member_makes_an_invitation_that_the_person_accepts(client):
    agreement = make_agreement()
    newcomer = make_user(email="new@example.com")
    customer_manager = manager_of(agreement, other_side=True)
    response = client.post(
        f"/api/v1/agreements/{agreement.code}/members",
        json={"email": "new@example.com", "side": "customer", "role": "approver"},
        headers=token_for(customer_manager),
    )
    assert response.status_code == 201, response.json
    assert response.json["role"] == "approver" and response.json["state"] == "pending"
    url = f"/api/v1/agreements/{agreement.code}"
    assert client.get(url, headers=token_for(newcomer)).status_code == 404, "not yet a member"
    mine = client.get("/api/v1/me/invitations", headers=token_for(newcomer)).json
    assert [i["id"] for i in mine] == [response.json["id"]]
    accepted = client.post(
        f"/api/v1/invitations/{response.json['id']}/accept", headers=token_for(newcomer)
    )
    assert accepted.status_code == 200 and accepted.json["state"] == "accepted"
    assert client.get(url, headers=token_for(newcomer)).status_code == 200
    again = client.post(
        f"/api/v1/agreements/{agreement.code}/members",
        json={"email": "new@example.com", "side": "customer", "role": "viewer"},
        headers=token_for(customer_manager),
    )
    assert again.status_code == 409


def test_inviting_an_unknown_email_answers_as_for_a_known_one(client):
    agreement = make_agreement()
    headers = token_for(manager_of(agreement))
    url = f"/api/v1/agreements/{agreement.code}/members"
    known = make_user()
    answers = [
        client.post(
            url, json={"email": email, "side": "provider", "role": "viewer"}, headers=headers
        )
        for email in (known.email, "nobody@example.com")
    ]
    assert [a.status_code for a in answers] == [201, 201]
    assert set(answers[0].json) == set(answers[1].json)
    bad = client.post(
        url, json={"email": "x@example.com", "side": "customer", "role": "boss"}, headers=headers
    )
    assert bad.status_code == 422 and "role" in bad.json["errors"]


def test_viewer_cannot_add_members(client):
    agreement = make_agreement()
    viewer = member_user(agreement, "customer", "viewer")
    response = client.post(
        f"/api/v1/agreements/{agreement.code}/members",
        json={"email": viewer.email, "side": "customer", "role": "manager"},
        headers=token_for(viewer),
    )
    assert response.status_code == 403


def test_a_lookalike_code_in_a_new_base_scope_is_refused_naming_the_known_one_unless_confirmed(
    client,
):
    from tests.factories import default_scope

    agreement = make_agreement(status="draft")
    headers = token_for(manager_of(agreement))
    url = f"/api/v1/agreements/{agreement.code}"
    scope = [*default_scope(), clause("4.1", ["maintenance"], systems=["shop-webb"])]
    refused = client.patch(url, json={"scope": scope}, headers=headers)
    assert refused.status_code == 422
    assert refused.json["errors"]["scope.4.systems"] == [
        "Did you mean shop-web? Tick “use the new code” to keep shop-webb."
    ]
    saved = client.patch(url, json={"scope": scope, "confirm_new_codes": True}, headers=headers)
    assert saved.status_code == 200, saved.json
    retitled = client.patch(url, json={"title": "Renamed"}, headers=headers)
    assert retitled.status_code == 200, retitled.json
