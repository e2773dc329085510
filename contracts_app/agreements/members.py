"""Members of an agreement: each side governs its own people.

A side's members are invited, re-roled and removed only by that side's managers (and
administrators). While a side has no manager yet, the agreement's creator or an
administrator may invite that side's first manager. A person becomes a member only by
accepting the invitation; a member's side never changes (moving someone is a removal
and an invitation, by the two sides). While the agreement is running, each side keeps
at least one manager and one approver.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa

from contracts_app.accounts.models import User
from contracts_app.accounts.services import normalise_email
from contracts_app.agreements.access import object_for
from contracts_app.agreements.locking import lock_agreement
from contracts_app.agreements.models import (
    INVITATION_DAYS,
    Agreement,
    Invitation,
    InvitationState,
    Membership,
)
from contracts_app.audit.services import record
from contracts_app.db import db, unit_of_work, utcnow
from contracts_app.enums import Role, Side
from contracts_app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from contracts_app.notifications.kinds import Kind
from contracts_app.notifications.services import notify
from contracts_app.sorting import Sorting, lower
from workflows.agreement_states import RUNNING_STATUSES

# Roles every side must hold for the agreement to be activated, and to keep while running.
REQUIRED_ROLES = (Role.MANAGER, Role.APPROVER)


MEMBER_SORTING = Sorting(
    columns={
        "name": lower(User.name),
        "email": User.email,
        "side": Membership.side,
        "role": Membership.role,
    },
    default="",
    tiebreaker=Membership.id,
    default_order=(Membership.side, Membership.role, User.name, Membership.id),
)


def list_members(agreement: Agreement, sort: str | None = None) -> list[Membership]:
    """The agreement's members, by side, role and name unless ``sort`` says otherwise."""
    order = MEMBER_SORTING.order_by(sort)
    return list(
        db.session.scalars(
            sa.select(Membership)
            .where(Membership.agreement_id == agreement.id)
            .join(User)
            .order_by(*order)
        ).all()
    )


def _roles_by_side(agreement_id: int, excluding: int | None = None) -> dict[Side, set[Role]]:
    query = sa.select(Membership.side, Membership.role).where(
        Membership.agreement_id == agreement_id
    )
    if excluding is not None:
        query = query.where(Membership.id != excluding)
    held: dict[Side, set[Role]] = {side: set() for side in Side}
    for side, role in db.session.execute(query).all():
        held[side].add(role)
    return held


def missing_staff(agreement_id: int) -> list[str]:
    """What each side still lacks to activate the agreement, in words (empty when none)."""
    held = _roles_by_side(agreement_id)
    return [
        f"the {side.value} side has no {role.value}"
        for side in Side
        for role in REQUIRED_ROLES
        if role not in held[side]
    ]


def _keeps_staff(agreement: Agreement, member: Membership, new_role: Role | None) -> None:
    """Refuse a change that would leave a side of a running agreement without a manager or
    an approver (``new_role`` None: the member is removed)."""
    if agreement.status not in RUNNING_STATUSES:
        return
    held = _roles_by_side(agreement.id, excluding=member.id)[member.side]
    if new_role is not None:
        held.add(new_role)
    for role in REQUIRED_ROLES:
        if role not in held:
            raise Conflict(
                f"The {member.side.value} side of {agreement.code} would have no {role.value}; "
                f"invite another {role.value} for that side first."
            )


def may_govern_side(
    actor: User, agreement: Agreement, membership: Membership | None, side: Side
) -> bool:
    """Whether ``actor`` manages the people of ``side`` on this agreement: its managers;
    an administrator only while the side has no manager (to staff or recover it), since
    whoever seats a side's approvers could act for that side."""
    if membership is not None and membership.role == Role.MANAGER and membership.side == side:
        return True
    return actor.is_admin and not _side_has_manager(agreement.id, side)


def _side_has_manager(agreement_id: int, side: Side) -> bool:
    return Role.MANAGER in _roles_by_side(agreement_id)[side]


def invitable_sides(
    actor: User, agreement: Agreement, membership: Membership | None
) -> list[tuple[Side, bool]]:
    """The sides ``actor`` may invite people to, each with whether only a manager may be
    invited (the creator's first invitation of the other side)."""
    sides: list[tuple[Side, bool]] = []
    for side in Side:
        if may_govern_side(actor, agreement, membership, side):
            sides.append((side, False))
        elif agreement.created_by_id == actor.id and not _side_has_manager(agreement.id, side):
            sides.append((side, True))
    return sides


def _parse_side_role(side: str, role: str) -> tuple[Side, Role]:
    errors: dict[str, list[str]] = {}
    side_value = role_value = None
    try:
        side_value = Side(side)
    except ValueError:
        errors["side"] = ["Must be customer or provider."]
    try:
        role_value = Role(role)
    except ValueError:
        errors["role"] = [f"Must be one of: {', '.join(r.value for r in Role)}."]
    if errors:
        raise ValidationFailed(errors)
    assert side_value is not None and role_value is not None
    return side_value, role_value


def invite_member(
    agreement: Agreement,
    membership: Membership | None,
    email: str,
    side: str,
    role: str,
    actor: User,
    now: dt.datetime | None = None,
) -> Invitation:
    """Invite someone to a side and a role; the membership exists once they accept.

    The answer is the same whether or not an account has this email (no enumeration):
    whoever owns, or later creates, the account with this email may accept.
    """
    side_value, role_value = _parse_side_role(side, role)
    address = normalise_email(email)
    now = now or utcnow()
    with unit_of_work():
        agreement = lock_agreement(agreement.id)
        allowed = dict(invitable_sides(actor, agreement, membership))
        if side_value not in allowed:
            if membership is None and not actor.is_admin:
                raise NotFound(f"No agreement {agreement.code}.")
            raise Forbidden(
                f"Only a manager of the {side_value.value} side invites its people "
                f"on {agreement.code}."
            )
        if allowed[side_value] and role_value != Role.MANAGER:
            raise ValidationFailed(
                {
                    "role": [
                        f"The {side_value.value} side has no manager yet: invite its first "
                        "manager, who then invites the others."
                    ]
                }
            )
        existing = db.session.scalar(
            sa.select(Membership)
            .join(User)
            .where(Membership.agreement_id == agreement.id, User.email == address)
        )
        if existing is not None:
            raise Conflict(
                f"{address} is already a member ({existing.side.value} {existing.role.value})."
            )
        pending = db.session.scalar(
            sa.select(Invitation).where(
                Invitation.agreement_id == agreement.id,
                Invitation.email == address,
                Invitation.state == InvitationState.PENDING,
            )
        )
        if pending is not None:
            if pending.expires_at > now:
                raise Conflict(f"{address} is already invited; withdraw that invitation first.")
            pending.state = InvitationState.WITHDRAWN  # an expired one gives way
            pending.decided_at = now
            db.session.flush()
        invitation = Invitation(
            agreement_id=agreement.id,
            email=address,
            side=side_value,
            role=role_value,
            invited_by_id=actor.id,
            created_at=now,
            expires_at=now + dt.timedelta(days=INVITATION_DAYS),
            first_of_side=allowed[side_value],
        )
        db.session.add(invitation)
        db.session.flush()
        invitee = db.session.scalar(sa.select(User.id).where(User.email == address))
        if invitee is not None:  # an address without an account is told nothing here
            notify(
                [invitee],
                Kind.INVITATION,
                f"You are invited to {agreement.code} as {side_value.value} {role_value.value}.",
                "/invitations",
                agreement_id=agreement.id,
                object_type="invitation",
                object_id=invitation.id,
            )
        record(
            "invitation.created",
            invitation,
            actor,
            agreement_id=agreement.id,
            changes={
                "email": {"before": None, "after": address},
                "side": {"before": None, "after": side_value.value},
                "role": {"before": None, "after": role_value.value},
            },
        )
    return invitation


INVITATION_SORTING = Sorting(
    columns={
        "email": Invitation.email,
        "side": Invitation.side,
        "role": Invitation.role,
        "sent": Invitation.created_at,
        "state": Invitation.state,
    },
    default="-sent",
    tiebreaker=Invitation.id,
)


def list_invitations(agreement: Agreement, sort: str | None = None) -> list[Invitation]:
    """The agreement's invitations, newest first unless ``sort`` says otherwise."""
    order = INVITATION_SORTING.order_by(sort)
    return list(
        db.session.scalars(
            sa.select(Invitation).where(Invitation.agreement_id == agreement.id).order_by(*order)
        ).all()
    )


def invitations_for(user: User) -> list[Invitation]:
    """The invitations addressed to ``user``'s email that are still open."""
    return list(
        db.session.scalars(
            sa.select(Invitation)
            .where(
                Invitation.email == user.email.lower(),
                Invitation.state == InvitationState.PENDING,
                Invitation.expires_at > utcnow(),
            )
            .order_by(Invitation.created_at)
        ).all()
    )


def _invitation(invitation_id: int, user: User) -> Invitation:
    """The invitation if ``user`` may see it: its addressee, the side's managers, admins."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound(f"No invitation {invitation_id}.")
    if user.is_admin or invitation.email == user.email.lower():
        return invitation
    try:
        _same, membership = object_for(user, Invitation, invitation_id, "invitation")
    except NotFound:
        raise NotFound(f"No invitation {invitation_id}.") from None
    if membership is None:
        raise NotFound(f"No invitation {invitation_id}.")
    return invitation


def _decide(
    invitation_id: int,
    actor: User,
    state: InvitationState,
    check: Iterable[str],
    now: dt.datetime | None = None,
) -> Invitation:
    now = now or utcnow()
    with unit_of_work():
        invitation = _invitation(invitation_id, actor)
        agreement = lock_agreement(invitation.agreement_id)
        db.session.refresh(invitation)
        status = invitation.status_at(now)
        if status != InvitationState.PENDING.value:
            raise Conflict(f"This invitation is {status}; nothing was done.")
        addressee = invitation.email == actor.email.lower()
        if "addressee" in check and not addressee:
            raise Forbidden("Only the person invited accepts or declines an invitation.")
        if "side" in check:
            membership = db.session.scalar(
                sa.select(Membership).where(
                    Membership.agreement_id == agreement.id, Membership.user_id == actor.id
                )
            )
            if not may_govern_side(actor, agreement, membership, invitation.side) and not (
                invitation.invited_by_id == actor.id
            ):
                raise Forbidden(f"Only a manager of the {invitation.side.value} side withdraws it.")
        invitation.state = state
        invitation.decided_by_id = actor.id
        invitation.decided_at = now
        member = None
        if (
            state == InvitationState.ACCEPTED
            and invitation.first_of_side
            and _side_has_manager(agreement.id, invitation.side)
        ):
            raise Conflict(
                f"The {invitation.side.value} side of {agreement.code} has a manager now; "
                "an invitation to that side comes from its own managers."
            )
        if state == InvitationState.ACCEPTED:
            if db.session.scalar(
                sa.select(Membership.id).where(
                    Membership.agreement_id == agreement.id, Membership.user_id == actor.id
                )
            ):
                raise Conflict(f"You are already a member of {agreement.code}.")
            member = Membership(
                agreement_id=agreement.id,
                user_id=actor.id,
                side=invitation.side,
                role=invitation.role,
            )
            db.session.add(member)
            if invitation.first_of_side:  # the side now governs itself: the others lapse
                for other in db.session.scalars(
                    sa.select(Invitation).where(
                        Invitation.agreement_id == agreement.id,
                        Invitation.side == invitation.side,
                        Invitation.first_of_side.is_(True),
                        Invitation.state == InvitationState.PENDING,
                        Invitation.id != invitation.id,
                    )
                ):
                    other.state = InvitationState.WITHDRAWN
                    other.decided_at = now
        db.session.flush()
        record(
            f"invitation.{state.value}",
            invitation,
            actor,
            agreement_id=agreement.id,
            changes={"state": {"before": "pending", "after": state.value}},
        )
        if member is not None:
            record(
                "membership.added",
                member,
                actor,
                agreement_id=agreement.id,
                changes={
                    "user": {"before": None, "after": actor.email},
                    "side": {"before": None, "after": member.side.value},
                    "role": {"before": None, "after": member.role.value},
                },
                comment=f"Accepted the invitation of {invitation.created_at:%Y-%m-%d}.",
            )
    return invitation


def accept_invitation(invitation_id: int, actor: User) -> Invitation:
    """The invited person accepts: the membership exists from now on."""
    return _decide(invitation_id, actor, InvitationState.ACCEPTED, ("addressee",))


def decline_invitation(invitation_id: int, actor: User) -> Invitation:
    return _decide(invitation_id, actor, InvitationState.DECLINED, ("addressee",))


def withdraw_invitation(invitation_id: int, actor: User) -> Invitation:
    """The inviting side's manager (or an administrator) takes an invitation back."""
    return _decide(invitation_id, actor, InvitationState.WITHDRAWN, ("side",))


def _member(agreement: Agreement, member_id: int) -> Membership:
    member = db.session.get(Membership, member_id)
    if member is None or member.agreement_id != agreement.id:
        raise NotFound("No such member.")
    return member


def change_role(
    agreement: Agreement, membership: Membership | None, member_id: int, role: str, actor: User
) -> Membership:
    """Give a member another role on their side (that side's managers)."""
    _side, role_value = _parse_side_role("customer", role)
    with unit_of_work():
        agreement = lock_agreement(agreement.id)
        member = _member(agreement, member_id)
        if not may_govern_side(actor, agreement, membership, member.side):
            raise Forbidden(f"Only a manager of the {member.side.value} side changes its roles.")
        if member.role == role_value:
            return member
        _keeps_staff(agreement, member, role_value)
        before = member.role
        member.role = role_value
        db.session.flush()
        record(
            "membership.role_changed",
            member,
            actor,
            agreement_id=agreement.id,
            changes={
                "user": {"before": member.user.email, "after": member.user.email},
                "role": {"before": before.value, "after": role_value.value},
            },
        )
    return member


def remove_member(
    agreement: Agreement, membership: Membership | None, member_id: int, actor: User
) -> None:
    """Remove a member (that side's managers); a running agreement keeps each side's
    manager and approver."""
    with unit_of_work():
        agreement = lock_agreement(agreement.id)
        member = _member(agreement, member_id)
        if not may_govern_side(actor, agreement, membership, member.side):
            raise Forbidden(f"Only a manager of the {member.side.value} side removes its people.")
        _keeps_staff(agreement, member, None)
        record(
            "membership.removed",
            member,
            actor,
            agreement_id=agreement.id,
            changes={
                "user": {"before": member.user.email, "after": None},
                "side": {"before": member.side.value, "after": None},
                "role": {"before": member.role.value, "after": None},
            },
        )
        db.session.delete(member)
