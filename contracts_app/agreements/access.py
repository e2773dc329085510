"""Who may see and do what on an agreement.

Membership gives a side and a role per agreement; administrators see everything.
A user who is neither a member nor an admin gets "not found", so the existence of
an agreement, and of everything under it, does not leak.
"""

from __future__ import annotations

import functools
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import lazyload

from contracts_app.accounts.models import User
from contracts_app.agreements.models import Agreement, Membership
from contracts_app.db import db
from contracts_app.enums import Role
from contracts_app.errors import Forbidden, NotFound

T = TypeVar("T")

EVERY_ROLE = frozenset(Role)
MANAGERS = frozenset({Role.MANAGER})


def membership_of(user: User, agreement_id: int) -> Membership | None:
    return db.session.scalar(
        sa.select(Membership).where(
            Membership.agreement_id == agreement_id, Membership.user_id == user.id
        )
    )


@functools.cache
def _agreement_and_membership() -> sa.Select:
    """One query for an agreement and a user's membership in it, built once per process."""
    return (
        sa.select(Agreement, Membership)
        .outerjoin(
            Membership,
            sa.and_(
                Membership.agreement_id == Agreement.id,
                Membership.user_id == sa.bindparam("user_id"),
            ),
        )
        .where(Agreement.code == sa.bindparam("code"))
        # the member is the user at hand, already in the session: no second copy
        .options(lazyload(Membership.user))
    )


def agreement_for(
    user: User, code: str, roles: frozenset[Role] = EVERY_ROLE
) -> tuple[Agreement, Membership | None]:
    """The agreement with ``code`` if ``user`` may see it, and the user's membership.

    Raises NotFound for outsiders and Forbidden when the user's role is not in ``roles``.
    """
    params = {"code": code, "user_id": user.id}
    found = db.session.execute(_agreement_and_membership(), params).first()
    if found is None:
        raise NotFound(f"No agreement {code}.")
    agreement, membership = found
    require_role(user, agreement, membership, roles)
    return agreement, membership


def require_role(
    user: User, agreement: Agreement, membership: Membership | None, roles: frozenset[Role]
) -> None:
    if user.is_admin:
        return
    if membership is None:
        raise NotFound(f"No agreement {agreement.code}.")
    if membership.role not in roles:
        allowed = ", ".join(sorted(role.value for role in roles))
        raise Forbidden(f"This needs the role {allowed} on {agreement.code}.")


def can(user: User, membership: Membership | None, roles: frozenset[Role]) -> bool:
    return user.is_admin or (membership is not None and membership.role in roles)


def object_for(
    user: User, model: type[T], object_id: int, label: str
) -> tuple[T, Membership | None]:
    """An object that belongs to an agreement (an annex, a task, a document), reached by id.

    Someone who may not see its agreement gets "not found", as for a missing id, so an
    id reveals nothing (no insecure direct object reference).
    """
    found = db.session.get(model, object_id) if object_id > 0 else None
    if found is None:
        raise NotFound(f"No {label} {object_id}." if object_id > 0 else f"No such {label}.")
    membership = membership_of(user, found.agreement_id)  # type: ignore[attr-defined]
    if membership is None and not user.is_admin:
        raise NotFound(f"No {label} {object_id}.")
    return found, membership


def visible_agreements(user: User) -> sa.Select:
    """A query of the agreements ``user`` may see."""
    query = sa.select(Agreement)
    if not user.is_admin:
        query = query.where(
            Agreement.id.in_(
                sa.select(Membership.agreement_id).where(Membership.user_id == user.id)
            )
        )
    return query
