"""Users, authentication and personal API tokens."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email

from contracts_app.accounts.models import ApiToken, User
from contracts_app.accounts.passwords import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    needs_rehash,
    verify_password,
)
from contracts_app.audit.services import record
from contracts_app.db import db, unit_of_work, utcnow
from contracts_app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from contracts_app.sorting import Sorting, lower

TOKEN_PREFIX = "cat_"


def normalise_email(email: str, field: str = "email") -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationFailed({field: [str(exc)]}) from None


def user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def create_user(
    email: str, name: str, password: str, *, admin: bool = False, actor: User | None = None
) -> User:
    """Create an account; refuses a taken email, an empty name or a short password."""
    errors: dict[str, list[str]] = {}
    try:
        email = normalise_email(email)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if not name.strip():
        errors["name"] = ["A name is required."]
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = [f"Use at least {MIN_PASSWORD_LENGTH} characters."]
    if errors:
        raise ValidationFailed(errors)
    if actor is not None and not actor.is_admin:
        raise Forbidden("Only administrators create users.")
    with unit_of_work():
        if user_by_email(email) is not None:
            raise ValidationFailed({"email": ["An account with this email already exists."]})
        user = User(
            email=email, name=name.strip(), password_hash=hash_password(password), is_admin=admin
        )
        db.session.add(user)
        db.session.flush()
        record(
            "user.created",
            user,
            actor,
            agreement_id=None,
            changes={
                "email": {"before": None, "after": email},
                "admin": {"before": None, "after": admin},
            },
        )
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (same cost either way)."""
    user = user_by_email(email)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        return None
    if needs_rehash(user.password_hash):
        with unit_of_work():
            user.password_hash = hash_password(password)
    return user


def confirm_password(user: User, password: str | None) -> None:
    """Refuse a signing action unless the user re-entered their password."""
    if not password or not verify_password(user.password_hash, password):
        raise ValidationFailed({"password": ["The password is not correct."]})


def record_failed_password(user: User, purpose: str) -> None:
    """Audit a wrong re-entered password (its own transaction: the refused action left none)."""
    with unit_of_work():
        record(
            "user.password_failed",
            user,
            user,
            agreement_id=None,
            changes={"purpose": {"before": None, "after": purpose}},
        )


def set_active(user: User, active: bool, actor: User) -> None:
    if not actor.is_admin:
        raise Forbidden("Only administrators manage users.")
    if user.id == actor.id and not active:
        raise Conflict("You cannot deactivate your own account.")
    with unit_of_work():
        before = user.is_active
        user.is_active = active
        if not active:
            end_sessions(user)
        record(
            "user.activated" if active else "user.deactivated",
            user,
            actor,
            agreement_id=None,
            changes={"is_active": {"before": before, "after": active}},
        )


def end_sessions(user: User) -> None:
    """End every session of the user: cookies issued before no longer sign anyone in."""
    with unit_of_work():
        user.session_generation += 1


def sign_out(user: User) -> None:
    """Sign-out ends the user's sessions, so a cookie saved before it stops working."""
    with unit_of_work():
        end_sessions(user)
        record("user.signed_out", user, user, agreement_id=None)


def change_password(user: User, current: str, new: str) -> None:
    """Change the user's password; needs the current one, and ends all their sessions."""
    confirm_password(user, current)
    if len(new) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed({"new": [f"Use at least {MIN_PASSWORD_LENGTH} characters."]})
    with unit_of_work():
        user.password_hash = hash_password(new)
        end_sessions(user)
        record("user.password_changed", user, user, agreement_id=None)


USER_SORTING = Sorting(
    columns={
        "name": lower(User.name),
        "email": User.email,
        "admin": User.is_admin,
        "active": User.is_active,
        "created": User.created_at,
    },
    default="name",
    tiebreaker=User.id,
)


def list_users(page: int, per_page: int, sort: str | None = None) -> tuple[list[User], int]:
    """One page of every account, by name unless ``sort`` says otherwise."""
    order = USER_SORTING.order_by(sort)
    total = db.session.scalar(sa.select(sa.func.count(User.id))) or 0
    users = db.session.scalars(
        sa.select(User).order_by(*order).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(users), total


# --- API tokens ------------------------------------------------------------------------

TOKEN_SORTING = Sorting(
    columns={
        "name": lower(ApiToken.name),
        "created": ApiToken.created_at,
        "expires": ApiToken.expires_at,
        "last_used": ApiToken.last_used_at,
    },
    default="-created",
    tiebreaker=ApiToken.id,
)


def list_tokens(user: User, sort: str | None = None) -> list[ApiToken]:
    """The user's API tokens, newest first unless ``sort`` says otherwise."""
    order = TOKEN_SORTING.order_by(sort)
    return list(
        db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(*order))
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, name: str = "api", days: int | None = 90) -> tuple[ApiToken, str]:
    """Create a token; the plain value is returned once and only its hash is kept."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    with unit_of_work():
        token = ApiToken(
            user_id=user.id,
            name=name,
            token_hash=_digest(plain),
            prefix=plain[: len(TOKEN_PREFIX) + 4],
            created_at=now,
            expires_at=now + dt.timedelta(days=days) if days else None,
        )
        db.session.add(token)
        db.session.flush()
        record(
            "token.issued",
            token,
            user,
            agreement_id=None,
            changes={"name": {"before": None, "after": name}},
        )
    return token, plain


@functools.cache
def _owner_of_usable_token() -> sa.Select:
    """The active owner of a usable token, in one query of one entity, built once per
    process (every API request runs it; building the statement cost as much as running it)."""
    now = sa.bindparam("now", type_=ApiToken.expires_at.type)
    return (
        sa.select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == sa.bindparam("digest"),
            ApiToken.revoked_at.is_(None),
            sa.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
            User.is_active.is_(True),
        )
    )


def user_for_token(plain: str) -> User | None:
    """The active owner of a usable token (not revoked, not expired), or None."""
    if not plain.startswith(TOKEN_PREFIX):
        return None
    return db.session.scalar(_owner_of_usable_token(), {"digest": _digest(plain), "now": utcnow()})


def revoke_token(user: User, token_id: int) -> None:
    with unit_of_work():
        token = db.session.get(ApiToken, token_id)
        if token is None or token.user_id != user.id:
            raise NotFound("No such token.")
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            record("token.revoked", token, user, agreement_id=None)
