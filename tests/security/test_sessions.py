"""Sessions end when they should: sign-out, a password change, a deactivation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from contracts_app.accounts import services
from contracts_app.accounts.models import ApiToken
from contracts_app.db import db
from tests.factories import PASSWORD, make_agreement, make_user, manager_of, signed_in

NEW_PASSWORD = "a different long passphrase"


def saved_session(client):
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def with_cookie(app, value):
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def opens_the_agreement(client, agreement) -> bool:
    response = client.get(f"/agreements/{agreement.code}")
    return response.status_code == 200


@pytest.fixture
def agreement():
    return make_agreement()


def test_a_session_cookie_saved_before_sign_out_no_longer_works_after_it(app, client, agreement):
    signed_in(client, manager_of(agreement))
    cookie = saved_session(client)
    assert opens_the_agreement(with_cookie(app, cookie), agreement)

    assert client.post("/logout").status_code == 302

    replayed = with_cookie(app, cookie)
    response = replayed.get(f"/agreements/{agreement.code}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_a_password_change_ends_every_session_of_the_user(app, client, agreement):
    manager = manager_of(agreement)
    signed_in(client, manager)
    elsewhere = with_cookie(app, saved_session(signed_in(app.test_client(), manager)))
    assert opens_the_agreement(elsewhere, agreement)

    response = client.post(
        "/account/password",
        data={"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302

    assert not opens_the_agreement(elsewhere, agreement)
    # the browser that changed it signs in again with the new password
    assert not opens_the_agreement(client, agreement)
    response = client.post("/login", data={"email": manager.email, "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert opens_the_agreement(client, agreement)


def test_a_password_change_needs_the_current_password_and_a_long_new_one(client):
    user = make_user()
    signed_in(client, user)
    wrong = client.post(
        "/account/password",
        data={"current": "not it", "new": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert wrong.status_code == 200
    assert "The password is not correct." in wrong.get_data(as_text=True)
    short = client.post(
        "/account/password", data={"current": PASSWORD, "new": "short", "confirm": "short"}
    )
    assert short.status_code == 200
    assert "at least" in short.get_data(as_text=True)
    db.session.refresh(user)
    assert services.authenticate(user.email, PASSWORD) is not None


def test_a_deactivation_ends_every_session_of_the_user(app, client, agreement):
    manager = manager_of(agreement)
    signed_in(client, manager)
    assert opens_the_agreement(client, agreement)
    admin = make_user(admin=True)
    services.set_active(manager, False, admin)
    services.set_active(manager, True, admin)  # reactivated: the old sessions stay ended
    assert not opens_the_agreement(client, agreement)


def test_a_token_revoked_on_its_page_stops_working(client):
    user = make_user()
    signed_in(client, user)
    page = client.post("/account/tokens", data={"name": "ci"})
    plain = page.get_data(as_text=True).split('id="new-token">')[1].split("<")[0]
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    token = db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)).one()

    response = client.post(f"/account/tokens/{token.id}/revoke")
    assert response.status_code == 302

    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert "revoked" in client.get("/account/tokens").get_data(as_text=True)
