"""Pages: sign in and out, API tokens, and user administration."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from contracts_app.accounts import attempts, services
from contracts_app.accounts.forms import LoginForm, PasswordForm, TokenForm, UserForm
from contracts_app.accounts.models import User
from contracts_app.db import db
from contracts_app.errors import TooManyAttempts, ValidationFailed
from contracts_app.extensions import limiter, login_limit_per_address
from contracts_app.forms_common import ConfirmForm, show_errors
from contracts_app.pagination import Page, page_args, sort_arg

pages = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str:
    """Only a path on this site, never another host (no open redirect)."""
    if not target:
        return url_for("work.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("work.index")
    # Control characters would split the Location header; browsers read a backslash or
    # a tab in a path as "//", i.e. another host.
    if any(ord(char) < 0x21 or char in "\\\x7f" for char in target):
        return url_for("work.index")
    return target


@pages.route("/login", methods=["GET", "POST"])
@limiter.limit(
    login_limit_per_address,
    methods=["POST"],
    error_message="Too many sign-in attempts from your address; wait a minute and try again.",
)
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("work.index"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data or ""
        # Failed password checks per account, shared with re-entered passwords (signing).
        wait = attempts.seconds_to_wait(email)
        if wait:
            form.password.errors = [
                f"Too many sign-in attempts for this account; try again in {wait} seconds."
            ]
            return render_template("accounts/login.html", form=form), 429
        user = services.authenticate(email, form.password.data or "")
        if user is None:
            attempts.count_failure(email)
            form.password.errors = ["The email or the password is not correct."]
        else:
            next_url = _safe_next(request.args.get("next"))
            session.clear()  # a new session at login: nothing of the anonymous one carries over
            login_user(user)
            return redirect(next_url)
    return render_template("accounts/login.html", form=form)


@pages.post("/logout")
@login_required
def logout() -> Any:
    services.sign_out(current_user)
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("accounts.login"))


@pages.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    form = PasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            # a guess at the current password counts like a guess at the sign-in form
            attempts.with_password_limit(
                user,
                "password change",
                lambda: services.change_password(
                    user, form.current.data or "", form.new.data or ""
                ),
            )
        except TooManyAttempts as exc:
            form.current.errors = [exc.message]
            return render_template("accounts/password.html", form=form), 429
        except ValidationFailed as exc:
            show_errors(form, exc, {"password": "current"})
        else:
            logout_user()
            session.clear()
            flash("Your password is changed; every session was signed out. Sign in again.", "info")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/password.html", form=form)


@pages.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens() -> Any:
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        _token, new_token = services.issue_token(
            current_user, form.name.data or "api", current_app.config["API_TOKEN_DAYS"]
        )
    sort = sort_arg(services.TOKEN_SORTING)
    return render_template(
        "accounts/tokens.html",
        form=form,
        tokens=services.list_tokens(current_user, sort),
        sort=sort,
        new_token=new_token,
        confirm=ConfirmForm(),
    )


@pages.post("/account/tokens/<id:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Any:
    if ConfirmForm().validate_on_submit():
        services.revoke_token(current_user, token_id)
        flash("The token is revoked.", "info")
    return redirect(url_for("accounts.tokens"))


@pages.route("/admin/users", methods=["GET", "POST"])
@login_required
def users() -> Any:
    if not current_user.is_admin:
        abort(404)
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                form.email.data or "",
                form.name.data or "",
                form.password.data or "",
                admin=bool(form.admin.data),
                actor=current_user,
            )
        except ValidationFailed as exc:
            show_errors(form, exc)
        else:
            flash(f"Account {user.email} created.", "info")
            return redirect(url_for("accounts.users"))
    number, per_page = page_args()
    sort = sort_arg(services.USER_SORTING)
    rows, total = services.list_users(number, per_page, sort)
    return render_template(
        "accounts/users.html",
        sort=sort,
        form=form,
        page=Page(rows, number, per_page, total),
        confirm=ConfirmForm(),
    )


@pages.post("/admin/users/<id:user_id>/active")
@login_required
def set_active(user_id: int) -> Any:
    if not current_user.is_admin:
        abort(404)
    user = db.session.get(User, user_id) or abort(404)
    if ConfirmForm().validate_on_submit():
        services.set_active(user, request.form.get("active") == "1", current_user)
        flash(f"{user.email} is now {'active' if user.is_active else 'deactivated'}.", "info")
    return redirect(url_for("accounts.users"))
