"""Access per agreement: members by role and side, admins, and outsiders who see nothing."""

from __future__ import annotations

import pytest

from tests.factories import make_agreement, make_user, member_user, signed_in, token_for


@pytest.fixture
def agreement():
    return make_agreement(status="draft")


def login_client(app, user):
    return signed_in(app.test_client(), user)


OUTSIDER_URLS = [
    "/api/v1/agreements/{code}",
    "/api/v1/agreements/{code}/members",
    "/api/v1/agreements/{code}/scope?as_of=2026-03-01",
    "/api/v1/agreements/{code}/scope/versions",
    "/api/v1/agreements/{code}/scope/diff?from=1&to=1",
]
OUTSIDER_PAGES = [
    "/agreements/{code}",
    "/agreements/{code}/members",
    "/agreements/{code}/edit",
    "/agreements/{code}/clauses/new",
]


@pytest.mark.parametrize("url", OUTSIDER_URLS)
def test_outsider_gets_404_in_the_api(client, agreement, url):
    outsider = make_user()
    response = client.get(url.format(code=agreement.code), headers=token_for(outsider))
    assert response.status_code == 404


def test_outsider_cannot_tell_an_existing_agreement_from_a_missing_one(client, agreement):
    outsider = make_user()
    existing = client.get(f"/api/v1/agreements/{agreement.code}", headers=token_for(outsider))
    missing = client.get("/api/v1/agreements/NOPE-1", headers=token_for(outsider))
    assert existing.status_code == missing.status_code == 404
    assert existing.json["title"] == missing.json["title"]


@pytest.mark.parametrize("url", OUTSIDER_PAGES)
def test_outsider_gets_404_in_the_pages(app, agreement, url):
    outsider = make_user()
    response = login_client(app, outsider).get(url.format(code=agreement.code))
    assert response.status_code == 404


def test_outsider_does_not_see_it_in_the_list(client, agreement):
    outsider = make_user()
    assert client.get("/api/v1/agreements", headers=token_for(outsider)).json["total"] == 0


@pytest.mark.parametrize(
    ("side", "role", "can_edit"),
    [
        ("customer", "manager", True),
        ("provider", "manager", True),
        ("customer", "approver", False),
        ("provider", "approver", False),
        ("customer", "contributor", False),
        ("provider", "contributor", False),
        ("customer", "viewer", False),
        ("provider", "viewer", False),
    ],
)
def test_every_member_reads_but_only_managers_edit(client, agreement, side, role, can_edit):
    user = member_user(agreement, side, role)
    headers = token_for(user)
    assert client.get(f"/api/v1/agreements/{agreement.code}", headers=headers).status_code == 200
    response = client.patch(
        f"/api/v1/agreements/{agreement.code}", json={"title": "New"}, headers=headers
    )
    assert response.status_code == (200 if can_edit else 403)


@pytest.mark.parametrize(("role", "status"), [("manager", 200), ("viewer", 403)])
def test_edit_page_follows_the_role(app, agreement, role, status):
    user = member_user(agreement, "provider", role)
    assert login_client(app, user).get(f"/agreements/{agreement.code}/edit").status_code == status


def test_admin_sees_and_edits_any_agreement(client, agreement):
    admin = make_user(admin=True)
    headers = token_for(admin)
    assert client.get(f"/api/v1/agreements/{agreement.code}", headers=headers).status_code == 200
    response = client.patch(
        f"/api/v1/agreements/{agreement.code}", json={"title": "By admin"}, headers=headers
    )
    assert response.status_code == 200


def test_only_admins_create_users(client):
    user = make_user()
    payload = {
        "email": "someone@example.com",
        "name": "Someone",
        "password": "long enough password",
    }
    assert client.post("/api/v1/users", json=payload, headers=token_for(user)).status_code == 403
    admin = make_user(admin=True)
    created = client.post("/api/v1/users", json=payload, headers=token_for(admin))
    assert created.status_code == 201
    assert created.json["email"] == "someone@example.com"
    assert "password" not in created.json
