"""Enumerations shared by several domains, stored as strings."""

from __future__ import annotations

import enum

import sqlalchemy as sa

from workflows.agreement_states import AgreementStatus

__all__ = ["AgreementStatus", "CapPeriod", "CapUnit", "ClauseKind", "Role", "Side", "str_enum"]


class Side(enum.StrEnum):
    CUSTOMER = "customer"
    PROVIDER = "provider"


class Role(enum.StrEnum):
    MANAGER = "manager"
    APPROVER = "approver"
    CONTRIBUTOR = "contributor"
    VIEWER = "viewer"


class ClauseKind(enum.StrEnum):
    INCLUDED = "included"
    EXCLUDED = "excluded"


class CapUnit(enum.StrEnum):
    HOURS = "hours"
    AMOUNT = "amount"
    COUNT = "count"


class CapPeriod(enum.StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    TERM = "term"


def str_enum(enum_cls: type[enum.StrEnum], name: str) -> sa.Enum:
    """A string column limited to the enum's values by a CHECK constraint."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
