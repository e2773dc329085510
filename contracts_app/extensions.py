"""Flask extensions, created here and bound to the app in ``create_app``."""

from __future__ import annotations

from apiflask import HTTPTokenAuth
from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

from contracts_app.accounts.models import User
from contracts_app.accounts.services import user_for_token
from contracts_app.db import db
from contracts_app.problems import problem_from_http_error

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"

csrf = CSRFProtect()

# In memory by default; RATELIMIT_STORAGE_URI=redis://... shares counts between workers.
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


def init_limiter(app: Flask) -> None:
    """The limiter, checking limits only where they are declared.

    No limit applies to every request: the limits are the sign-in form's (checked by its
    decorator) and the per-account password limit (``accounts.attempts``). The limiter's
    own pass before every request looks for default limits there are none of, on every
    API call; it is left out.
    """
    limiter.init_app(app)
    manager = limiter.limit_manager
    if manager.default_limits or manager.application_limits:
        raise RuntimeError("a limit on every request needs the limiter's before-request pass")
    hooks = app.before_request_funcs.get(None, [])
    hooks[:] = [hook for hook in hooks if hook != limiter._check_request_limit]


def login_limit_per_address() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ADDRESS"]


token_auth = HTTPTokenAuth(
    scheme="Bearer", description="A personal API token (`flask users token`)."
)
token_auth.error_processor(problem_from_http_error)


@login_manager.user_loader
def _load_user(session_user_id: str) -> User | None:
    """The user of a session, unless their sessions were ended since it began."""
    user_id, _, generation = session_user_id.partition(":")
    if not user_id.isdigit() or not generation.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_generation != int(generation):
        return None
    return user


@token_auth.verify_token
def _verify_token(token: str) -> User | None:
    return user_for_token(token) if token else None
