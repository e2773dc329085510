from __future__ import annotations

import re

import pytest

from tests.factories import PASSWORD, make_user


def test_login_with_the_right_password_issues_a_new_session(client):
    user = make_user()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == f"{user.id}:{user.session_generation}"


def test_login_with_a_wrong_password_says_so_next_to_the_field(client):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": "nope"})
    assert response.status_code == 200
    assert b"The email or the password is not correct." in response.data


def test_login_never_redirects_to_another_site(client):
    user = make_user()
    response = client.post(
        "/login?next=https://evil.example/", data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/work"


def test_pages_need_a_login(client):
    response = client.get("/agreements")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield app
    app.config["WTF_CSRF_ENABLED"] = False


def test_forms_refuse_a_post_without_the_csrf_token(csrf_app):
    client = csrf_app.test_client()
    user = make_user()
    refused = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert refused.status_code == 400 or b"CSRF" in refused.data
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    accepted = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert accepted.status_code == 302


def test_responses_carry_security_headers(client):
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_login_attempts_are_limited_per_account_with_a_clear_message(client):
    from contracts_app.extensions import limiter

    limiter.reset()
    user = make_user()
    for _ in range(5):
        assert (
            client.post("/login", data={"email": user.email, "password": "wrong"}).status_code
            == 200
        )
    blocked = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Too many sign-in attempts for this account" in blocked.get_data(as_text=True)
    other = make_user()
    assert (
        client.post("/login", data={"email": other.email, "password": PASSWORD}).status_code == 302
    )
    limiter.reset()


def test_login_attempts_are_limited_per_address(app, client):
    from contracts_app.extensions import limiter

    limiter.reset()
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "3 per minute"
    try:
        for n in range(3):
            client.post("/login", data={"email": f"someone{n}@example.com", "password": "x"})
        blocked = client.post("/login", data={"email": "another@example.com", "password": "x"})
        assert blocked.status_code == 429
        assert "from your address" in blocked.get_data(as_text=True)
    finally:
        app.config["LOGIN_LIMIT_PER_ADDRESS"] = "100000 per minute"
        limiter.reset()


def test_the_limiter_runs_only_on_routes_that_declare_a_limit(app, client):
    """The sign-in form's limit holds (above); other requests skip the limiter's pass,
    which would look for default limits on every API call."""
    from contracts_app.extensions import limiter

    assert limiter._check_request_limit not in app.before_request_funcs.get(None, [])
    limiter.reset()
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "1 per minute"
    try:
        for _ in range(5):
            assert client.get("/api/v1/agreements").status_code == 401  # not counted
        client.post("/login", data={"email": "someone@example.com", "password": "x"})
        assert client.post("/login", data={"email": "x@example.com"}).status_code == 429
    finally:
        app.config["LOGIN_LIMIT_PER_ADDRESS"] = "100000 per minute"
        limiter.reset()


def test_hsts_is_sent_over_https_only(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_session_cookie_is_httponly_and_samesite_lax(client):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_application_refuses_to_start_without_a_real_secret_key_outside_development(
    monkeypatch, tmp_path
):
    from contracts_app.config import load_config

    monkeypatch.setenv("CONTRACTS_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = load_config(tmp_path)
    assert config["SECRET_KEY"] is None and config["SESSION_COOKIE_SECURE"] is True
    from contracts_app import _require_secret_key

    class FakeApp:
        def __init__(self, config):
            self.config = config

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        _require_secret_key(FakeApp(config))
    _require_secret_key(FakeApp({**config, "SECRET_KEY": "x" * 40}))


def test_oversized_requests_get_a_clear_413(app, client):
    from tests.factories import make_agreement, manager_of, token_for

    agreement = make_agreement()
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post(
        f"/api/v1/agreements/{agreement.code}/tasks/import",
        data=b"x" * (limit + 1),
        headers={**token_for(manager_of(agreement)), "Content-Type": "text/csv"},
    )
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert "larger than the limit" in response.json["detail"]
