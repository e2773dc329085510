from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from argon2 import extract_parameters

from contracts_app.accounts import services
from contracts_app.accounts.models import ApiToken
from contracts_app.db import db, utcnow
from contracts_app.errors import ValidationFailed
from tests.factories import make_user


def test_passwords_are_hashed_with_argon2id_at_owasp_parameters():
    user = services.create_user("Ana@Example.com", "Ana", "a long password")
    assert user.email == "ana@example.com"
    assert user.password_hash.startswith("$argon2id$")
    params = extract_parameters(user.password_hash)
    assert (params.memory_cost, params.time_cost, params.parallelism) == (19 * 1024, 2, 1)


def test_authenticate_accepts_the_right_password_only():
    services.create_user("bo@example.com", "Bo", "the right password")
    assert services.authenticate("BO@example.com", "the right password") is not None
    assert services.authenticate("bo@example.com", "the wrong password") is None
    assert services.authenticate("nobody@example.com", "the right password") is None


def test_deactivated_users_cannot_authenticate():
    admin = make_user(admin=True)
    user = services.create_user("cy@example.com", "Cy", "the right password")
    services.set_active(user, False, admin)
    assert services.authenticate("cy@example.com", "the right password") is None


@pytest.mark.parametrize(
    ("email", "name", "password", "field"),
    [
        ("not-an-email", "X", "long enough pw", "email"),
        ("x@example.com", " ", "long enough pw", "name"),
        ("x@example.com", "X", "short", "password"),
    ],
)
def test_create_user_refuses_bad_input_per_field(email, name, password, field):
    with pytest.raises(ValidationFailed) as caught:
        services.create_user(email, name, password)
    assert field in caught.value.errors


def test_tokens_are_stored_hashed_and_work_until_revoked():
    user = make_user()
    token, plain = services.issue_token(user, "ci")
    assert plain not in {token.token_hash, token.prefix}
    assert db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == plain)) is None
    assert services.user_for_token(plain) == user
    services.revoke_token(user, token.id)
    assert services.user_for_token(plain) is None


def test_expired_tokens_are_refused():
    user = make_user()
    token, plain = services.issue_token(user, "old")
    token.expires_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    assert services.user_for_token(plain) is None
