"""The escalation ladder: part of an agreement's governance (agreements.governance).

Levels 1..n, each with a name, the members of each side who answer at that level, and a
response time in hours. Without a ladder, one level: the managers of each side, 16 hours.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from contracts_app.accounts.models import User
from contracts_app.agreements.models import Agreement, Membership
from contracts_app.db import db
from contracts_app.enums import Role, Side
from contracts_app.errors import ValidationFailed

DEFAULT_RESPONSE_HOURS = Decimal("16")
MAX_LEVELS = 10
MAX_RESPONSE_HOURS = Decimal("10000")
SIDES = tuple(side.value for side in Side)


@dataclasses.dataclass(frozen=True)
class Level:
    level: int
    name: str
    response_hours: Decimal
    members: dict[str, tuple[str, ...]]  # side -> emails; empty: that side's managers


def parse_ladder(value: Any, path: str = "escalation_ladder") -> list[dict[str, Any]] | None:
    """Validate a ladder (every problem at once); ``None`` or ``[]`` means the default."""
    if value is None or value == []:
        return None
    if not isinstance(value, list):
        raise ValidationFailed({path: ["Give a list of levels."]})
    errors: dict[str, list[str]] = {}
    if len(value) > MAX_LEVELS:
        errors[path] = [f"At most {MAX_LEVELS} levels."]
    ladder: list[dict[str, Any]] = []
    for index, raw in enumerate(value):
        where = f"{path}.{index}"
        if not isinstance(raw, dict):
            errors[where] = ["Each level is an object."]
            continue
        unknown = set(raw) - {"level", "name", "response_hours", "members"}
        for key in sorted(unknown):
            errors[f"{where}.{key}"] = ["Unknown field."]
        if raw.get("level") != index + 1:
            errors[f"{where}.level"] = [f"Levels are numbered 1, 2, ...: this one is {index + 1}."]
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            errors[f"{where}.name"] = ["Give the level a name of up to 100 characters."]
        hours = _hours(raw.get("response_hours"))
        if hours is None:
            errors[f"{where}.response_hours"] = [
                "A number of hours above 0 and at most 10000, with at most 2 decimals."
            ]
        members = raw.get("members", {})
        parsed_members: dict[str, list[str]] = {}
        if not isinstance(members, dict) or set(members) - set(SIDES):
            errors[f"{where}.members"] = ['Give {"customer": [emails], "provider": [emails]}.']
        else:
            for side in SIDES:
                emails = members.get(side, [])
                if not isinstance(emails, list) or not all(
                    isinstance(e, str) and "@" in e for e in emails
                ):
                    errors[f"{where}.members.{side}"] = ["Give a list of member emails."]
                    continue
                parsed_members[side] = sorted({e.strip().lower() for e in emails})
        ladder.append(
            {
                "level": index + 1,
                "name": name.strip() if isinstance(name, str) else "",  # refused above
                "response_hours": str(hours) if hours is not None else None,
                "members": parsed_members,
            }
        )
    if errors:
        raise ValidationFailed(errors)
    return ladder


def _hours(value: Any) -> Decimal | None:
    try:
        hours = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not hours.is_finite() or hours <= 0 or hours > MAX_RESPONSE_HOURS:
        return None
    if hours.as_tuple().exponent < -2:  # type: ignore[operator]
        return None
    return hours


def check_members(
    agreement: Agreement, ladder: list[dict[str, Any]] | None, path: str = "escalation_ladder"
) -> None:
    """Refuse a ladder naming someone who is not a member of the agreement on that side,
    or a viewer there (viewers take no part in escalations)."""
    if not ladder:
        return
    members = {
        (email, side.value)
        for email, side in db.session.execute(
            sa.select(User.email, Membership.side)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.agreement_id == agreement.id, Membership.role != Role.VIEWER)
        ).all()
    }
    errors: dict[str, list[str]] = {}
    for index, level in enumerate(ladder):
        for side, emails in level["members"].items():
            missing = [email for email in emails if (email, side) not in members]
            if missing:
                errors[f"{path}.{index}.members.{side}"] = [
                    f"Not a member taking part on the {side} side: {', '.join(missing)}."
                ]
    if errors:
        raise ValidationFailed(errors)


def levels_of(agreement: Agreement) -> list[Level]:
    """The agreement's ladder, or the default one."""
    if not agreement.escalation_ladder:
        return [Level(1, "Service managers", DEFAULT_RESPONSE_HOURS, dict.fromkeys(SIDES, ()))]
    return [
        Level(
            level=raw["level"],
            name=raw["name"],
            response_hours=Decimal(raw["response_hours"]),
            members={side: tuple(raw["members"].get(side, [])) for side in SIDES},
        )
        for raw in agreement.escalation_ladder
    ]


def people_at(agreement: Agreement, level: Level, side: str) -> list[User]:
    """Who answers for ``side`` at ``level``: the members named, still members of that side,
    or that side's managers when none is named (or none is left)."""
    query = (
        sa.select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.agreement_id == agreement.id, Membership.side == Side(side))
        .order_by(User.name)
    )
    named = level.members.get(side, ())
    if named:
        people = list(db.session.scalars(query.where(User.email.in_(named))).all())
        if people:
            return people
    return list(db.session.scalars(query.where(Membership.role == Role.MANAGER)).all())
